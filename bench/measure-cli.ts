// Issue 16's CLI rows: how long `snoozebot --help` and `snoozebot plugins
// list` take, spawn to exit, beside `node -e 0` on the same Node.js; and the
// peak RSS of each (the kernel's high-water mark, read by GNU time from the
// process's rusage, so nothing is added to the process measured).
import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeRuntime } from './node-runtime.js';

export const GNU_TIME = '/usr/bin/time';

export interface CliSamples {
  /** ns, spawn → exit. */
  readonly noop: number[];
  readonly help: number[];
  readonly list: number[];
  /** Peak RSS, bytes. */
  readonly noopRss: number[];
  readonly helpRss: number[];
  readonly listRss: number[];
}

export function emptyCliSamples(): CliSamples {
  return { noop: [], help: [], list: [], noopRss: [], helpRss: [], listRss: [] };
}

/** Why peak RSS cannot be measured here, or undefined when it can. */
export async function peakRssUnavailable(): Promise<string | undefined> {
  try {
    await access(GNU_TIME, constants.X_OK);
    return undefined;
  } catch {
    return `${GNU_TIME} (GNU time, Debian package "time") not found: peak RSS rows need it`;
  }
}

function exitOf(child: ReturnType<typeof spawn>, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${what} ended with code ${String(code)}, signal ${String(signal)}`)),
    );
  });
}

/** Wall time of one run, spawn → exit, in ns. */
export async function timeRun(runtime: NodeRuntime, args: readonly string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  await exitOf(spawn(runtime.execPath, args, { stdio: 'ignore', env: runtime.env }), `node ${args.join(' ')}`);
  return Number(process.hrtime.bigint() - t0);
}

/** Peak RSS of one run, bytes (GNU time's %M, KiB). */
export async function peakRss(runtime: NodeRuntime, args: readonly string[]): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-bench-rss-'));
  try {
    const out = join(dir, 'rss');
    await exitOf(
      spawn(GNU_TIME, ['-f', '%M', '-o', out, runtime.execPath, ...args], { stdio: 'ignore', env: runtime.env }),
      `${GNU_TIME} node ${args.join(' ')}`,
    );
    const kib = Number.parseInt((await readFile(out, 'utf8')).trim().split('\n').pop() ?? '', 10);
    if (!Number.isSafeInteger(kib) || kib <= 0) throw new Error(`${GNU_TIME} printed no peak RSS`);
    return kib * 1024;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface CliRound {
  readonly cli: string;
  /** The socket of a running daemon, for `plugins list`. */
  readonly socket: string;
  readonly runs: number;
  /** Also measure peak RSS (one run of each per round). */
  readonly rss: boolean;
}

/** One round: node -e 0, --help and plugins list in turn (ABCABC…), then one peak RSS reading of each. */
export async function measureCliRound(samples: CliSamples, runtime: NodeRuntime, round: CliRound): Promise<void> {
  const noop = ['-e', '0'];
  const help = [round.cli, '--help'];
  const list = [round.cli, '--socket', round.socket, 'plugins', 'list'];
  for (let i = 0; i < round.runs; i++) {
    samples.noop.push(await timeRun(runtime, noop));
    samples.help.push(await timeRun(runtime, help));
    samples.list.push(await timeRun(runtime, list));
  }
  if (!round.rss) return;
  samples.noopRss.push(await peakRss(runtime, noop));
  samples.helpRss.push(await peakRss(runtime, help));
  samples.listRss.push(await peakRss(runtime, list));
}
