// `plugins check`'s first look at a binary: run it once *without* the magic
// cookie, as someone running it by hand would. A go-plugin plugin then prints
// a notice on stderr and exits 1 at once. The probe has a hard time limit:
// whatever still runs after it (the binary and anything it forked: it is
// started as the leader of its own group) is killed, and "kept running" is
// the finding. Only the probe's own facts are returned; what they mean
// depends on the run *with* the cookie (diagnose.ts), since go-plugin's
// notice names no cookie and a plugin of another application refuses ours
// just the same.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAGIC_COOKIE_KEY, recognizeCookieNotice } from '../handshake/index.js';
import type { CookieNotice } from '../handshake/index.js';
import { LineSplitter, LineTail } from './line-splitter.js';
import { signalGroup } from './process-group.js';

export const COOKIE_PROBE_LIMIT_MS = 2_000;

/** Bytes of stdout kept: enough to say that something was printed and what. */
const STDOUT_KEPT = 200;

export type CookieProbe =
  /** It exited by itself within the limit. */
  | {
      readonly outcome: 'exited';
      readonly ms: number;
      readonly code: number | null;
      readonly signal: NodeJS.Signals | null;
      readonly stdout: string;
      readonly notice: CookieNotice | undefined;
      readonly stderrTail: readonly string[];
    }
  /** Still running at the limit (`limitMs`): killed with its process group. */
  | { readonly outcome: 'killed'; readonly ms: number; readonly limitMs: number; readonly stdout: string }
  /** It could not be run at all (the real start says why, in more words). */
  | { readonly outcome: 'not-run'; readonly ms: number; readonly error: string };

export async function probeWithoutCookie(path: string, limitMs: number = COOKIE_PROBE_LIMIT_MS): Promise<CookieProbe> {
  // A binary that ignores the cookie may serve anyway and, killed, leave its
  // socket behind: its temp dir is a private one, removed afterwards.
  const scratch = await mkdtemp(join(tmpdir(), 'snoozebot-probe-'));
  try {
    return await run(path, limitMs, scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function run(path: string, limitMs: number, scratch: string): Promise<CookieProbe> {
  const t0 = performance.now();
  const ms = () => Math.round((performance.now() - t0) * 10) / 10;
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: scratch };
  delete env[MAGIC_COOKIE_KEY];
  return new Promise<CookieProbe>((resolve) => {
    const child = spawn(path, [], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    const tail = new LineTail(10);
    const stderr = new LineSplitter(4_096, ({ text }) => tail.add(text));
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < STDOUT_KEPT) stdout += chunk.toString('utf8').slice(0, STDOUT_KEPT - stdout.length);
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // Not 'close': a forked child may hold the pipes open long after the binary is gone.
    let settled = false;
    const finish = (result: CookieProbe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ outcome: 'killed', ms: ms(), limitMs, stdout }), limitMs);
    child.once('error', (error: NodeJS.ErrnoException) => finish({ outcome: 'not-run', ms: ms(), error: error.code ?? error.message }));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const exitedMs = ms();
      const done = () => {
        stderr.end();
        const lines = tail.lines();
        finish({ outcome: 'exited', ms: exitedMs, code, signal, stdout, notice: recognizeCookieNotice(lines), stderrTail: lines });
      };
      // The last stderr lines may trail the exit; a child holding the pipe must not hold the probe.
      if (child.stderr.readableEnded) return done();
      const grace = setTimeout(done, 200);
      child.stderr.once('end', () => {
        clearTimeout(grace);
        done();
      });
    });
  });
}
