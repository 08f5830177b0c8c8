// Telling people the machine is about to stop: an optional webhook (a JSON
// POST, for chat or paging) and an optional `wall` message to logged-in
// terminals. Announcing is best effort: a dead webhook never keeps an idle
// machine running, and never stops a busy one; it is logged and that is all.
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import type { Logger } from 'pino';

export type AnnouncementEvent = 'stopping' | 'cancelled' | 'stopped' | 'failed';

export interface Announcement {
  readonly event: AnnouncementEvent;
  /** One line for people; it is the wall message and the webhook's `message`. */
  readonly message: string;
  /** Extra JSON fields for the webhook (idleSince, stopAt, provider, signals…). */
  readonly details: Readonly<Record<string, unknown>>;
}

export interface AnnouncerOptions {
  readonly webhookUrl: string | null;
  readonly wall: boolean;
  readonly logger: Logger;
  /** Default "wall" (util-linux, bsdutils on Debian). */
  readonly wallCommand?: string;
  readonly timeoutMs?: number;
}

export type Announcer = (announcement: Announcement) => Promise<void>;

const TIMEOUT_MS = 5_000;

export function createAnnouncer(options: AnnouncerOptions): Announcer {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const log = options.logger;
  return async (announcement) => {
    const jobs: Array<Promise<void>> = [];
    if (options.webhookUrl !== null) {
      jobs.push(
        postWebhook(options.webhookUrl, announcement, timeoutMs).catch((error: unknown) => {
          log.warn({ webhook: redactUrl(options.webhookUrl ?? ''), error: (error as Error).message }, 'idle webhook failed');
        }),
      );
    }
    if (options.wall) {
      jobs.push(
        runWall(options.wallCommand ?? 'wall', announcement.message, timeoutMs).catch((error: unknown) => {
          log.warn({ error: (error as Error).message }, 'wall message failed');
        }),
      );
    }
    await Promise.all(jobs);
  };
}

async function postWebhook(url: string, announcement: Announcement, timeoutMs: number): Promise<void> {
  const body = JSON.stringify({
    event: `snoozebot.idle.${announcement.event}`,
    host: hostname(),
    time: new Date().toISOString(),
    message: announcement.message,
    ...announcement.details,
  });
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'snoozebot' },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  // The body is not needed, but an unread body keeps the socket busy.
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new Error(`the webhook answered HTTP ${response.status}`);
}

function runWall(command: string, message: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [], { stdio: ['pipe', 'ignore', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 1024) stderr += chunk;
    });
    child.once('error', (error) => reject(new Error(`could not run ${command}: ${error.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} exited with ${signal ?? `code ${code}`}${stderr ? `: ${stderr.trim()}` : ''}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(`snoozebot: ${message}\n`);
  });
}

/** Webhook URLs often carry a token; logs get the origin only. */
export function redactUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
