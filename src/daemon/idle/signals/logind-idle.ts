// A desktop's input idle time, as logind knows it. GNOME, KDE Plasma and
// other desktops tell logind when their user stops touching keyboard and
// mouse (SetIdleHint), and logind keeps IdleHint/IdleSinceHint per session.
// logind writes neither to its session files (/run/systemd/sessions/<id>
// holds no idle state), so they are asked for over D-Bus through loginctl:
// one short process per sample, and only while a graphical session exists.
//
//   $ loginctl show-session -p Id -p IdleHint -p IdleSinceHint -- 2 7
//   Id=2
//   IdleHint=yes
//   IdleSinceHint=1700000100250123      µs since the epoch; 0: never set
//
//   Id=7
//   ...
import { boundedRun } from './bounded-run.js';
import { findExecutable } from './find-executable.js';

export const LOGINCTL = 'loginctl';
export const LOGINCTL_TIMEOUT_MS = 5_000;
const STDOUT_BYTES = 64 * 1024;
const STDERR_TAIL_BYTES = 512;

/** What logind says about one session's input. */
export interface IdleHint {
  /** IdleHint=yes: the desktop reported its user idle. */
  readonly idle: boolean;
  /** When the hint last changed, epoch ms; undefined when the desktop never set it. */
  readonly sinceMs: number | undefined;
}

/** `loginctl show-session -p Id -p IdleHint -p IdleSinceHint` output, by session id; sessions without an Id are skipped. */
export function parseIdleHints(text: string): Map<string, IdleHint> {
  const hints = new Map<string, IdleHint>();
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const equals = line.indexOf('=');
      if (equals > 0) fields.set(line.slice(0, equals).trim(), line.slice(equals + 1).trim());
    }
    const id = fields.get('Id');
    if (id === undefined || id === '') continue;
    const since = fields.get('IdleSinceHint');
    const micros = since !== undefined && /^[0-9]+$/.test(since) ? Number(since) : 0;
    hints.set(id, { idle: fields.get('IdleHint') === 'yes', sinceMs: micros > 0 ? Math.trunc(micros / 1000) : undefined });
  }
  return hints;
}

export interface IdleHintOptions {
  /** The PATH value loginctl is looked up in. */
  readonly pathValue: string | undefined;
  /** loginctl's environment; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/** logind's idle hints of `ids`. Throws (the sessions then count as busy) when loginctl is missing, fails or hangs. */
export async function readIdleHints(ids: readonly string[], options: IdleHintOptions): Promise<Map<string, IdleHint>> {
  if (ids.length === 0) return new Map();
  const file = findExecutable(LOGINCTL, options.pathValue);
  if (file === undefined) throw new Error(`${LOGINCTL} is not on the PATH, so a desktop's idle hint cannot be read`);
  const timeoutMs = options.timeoutMs ?? LOGINCTL_TIMEOUT_MS;
  const result = await boundedRun({
    file,
    args: ['show-session', '--property=Id', '--property=IdleHint', '--property=IdleSinceHint', '--', ...ids],
    timeoutMs,
    ...(options.env !== undefined ? { env: options.env } : {}),
    stdoutBytes: STDOUT_BYTES,
    stderrTailBytes: STDERR_TAIL_BYTES,
  });
  switch (result.kind) {
    case 'spawn-failed':
      throw new Error(`could not run ${file}: ${result.message}`);
    case 'timed-out':
      throw new Error(`${file} did not answer within ${timeoutMs} ms`);
    case 'signalled':
      throw new Error(`${file} was killed by ${result.signal}`);
    case 'exited':
      // A session that ended between the listing and this call makes loginctl fail for all; the next sample asks again.
      if (result.exitCode !== 0) throw new Error(`${file} exited with status ${result.exitCode}${result.stderrTail ? `: ${result.stderrTail}` : ''}`);
      return parseIdleHints(result.stdout);
  }
}
