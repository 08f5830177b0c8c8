// The daemon's lifecycle invariants, checked against /proc all through a
// soak, not only at its end (issue 11):
//
// 1. Every live child of the daemon is the current process of one of its
//    plugins, as the API reports it: nothing it spawned is left running
//    untracked. A process can start and die between the two API reads (a
//    plugin that prints garbage and exits), so a child no plugin owns is
//    looked at again a second later: only one still alive and still owned
//    by none counts.
// 2. No plugin has two live processes at the same moment.
// 3. A plugin the API reports serving, with the same pid across two looks,
//    has that process alive (the API agrees with /proc). A death can reach
//    /proc before the daemon has seen it, so a mismatch is confirmed a
//    second later before it counts.
// 4. A plugin at rest (stopped, failed, refused) with no job running has no
//    pid.
//
// One look is: GET /v1/plugins, the daemon's children from /proc, GET
// /v1/plugins again. Anything the daemon did between the two API reads is
// in one of them, so the checks below hold exactly, without a sleep.
import type { PluginStatus } from '../../src/daemon/types.js';
import { liveChildren } from '../helpers/leftovers.js';
import { listPlugins } from './api.js';

export interface Child {
  readonly pid: number;
  readonly cmdline: string;
}

export interface Look {
  readonly before: readonly PluginStatus[];
  readonly children: readonly Child[];
  readonly after: readonly PluginStatus[];
}

/** A serving pid missing from /proc, to look at again. */
export interface Suspect {
  readonly name: string;
  readonly pid: number;
  readonly since: string;
}

/** A child of the daemon that no plugin reported, to look at again. */
export interface Stray {
  readonly pid: number;
  readonly cmdline: string;
}

export interface LookResult {
  readonly violations: string[];
  readonly suspects: Suspect[];
  readonly strays: Stray[];
}

const AT_REST = new Set(['stopped', 'failed', 'refused', 'discovered']);

/** Checks one look. Pure. */
export function checkLook(look: Look): LookResult {
  const violations: string[] = [];
  const suspects: Suspect[] = [];
  const live = new Set(look.children.map((c) => c.pid));
  const owners = new Map<number, string>();
  for (const p of [...look.before, ...look.after]) if (p.pid !== null) owners.set(p.pid, p.name);
  const strays = look.children.filter((child) => !owners.has(child.pid)).map((c) => ({ pid: c.pid, cmdline: c.cmdline }));
  const names = new Set([...look.before, ...look.after].map((p) => p.name));
  for (const name of names) {
    const first = look.before.find((p) => p.name === name);
    const second = look.after.find((p) => p.name === name);
    const pids = [...new Set([first?.pid, second?.pid].filter((pid): pid is number => pid !== null && pid !== undefined && live.has(pid)))];
    if (pids.length > 1) violations.push(`plugin ${name} had two live processes at once: ${pids.join(' and ')}`);
    if (first === undefined || second === undefined || first.since !== second.since) continue;
    if (first.state === 'serving' && second.state === 'serving' && first.pid !== null && first.pid === second.pid && !live.has(first.pid)) {
      suspects.push({ name, pid: first.pid, since: first.since });
    }
    for (const p of [first, second]) {
      if (AT_REST.has(p.state) && p.job === null && p.pid !== null) violations.push(`plugin ${name} is ${p.state} with no job running, yet reports pid ${p.pid}`);
    }
  }
  return { violations, suspects, strays };
}

/** A stray is a violation when, a second later, it is still a live child of the daemon and still no plugin's. */
export function confirmStray(stray: Stray, now: readonly PluginStatus[], children: readonly Child[]): string | undefined {
  if (!children.some((c) => c.pid === stray.pid && c.cmdline === stray.cmdline)) return undefined;
  if (now.some((p) => p.pid === stray.pid)) return undefined;
  return `process ${stray.pid} (${stray.cmdline.slice(0, 120)}) is a child of the daemon that no plugin reports as its own`;
}

/** A suspect is a violation when the daemon, a second later, still says it serves with that dead pid. */
export function confirmSuspect(suspect: Suspect, now: readonly PluginStatus[], live: ReadonlySet<number>): string | undefined {
  const p = now.find((x) => x.name === suspect.name);
  if (p === undefined || p.state !== 'serving' || p.pid !== suspect.pid || p.since !== suspect.since || live.has(suspect.pid)) return undefined;
  return `plugin ${suspect.name} is reported serving with pid ${suspect.pid}, which is not alive`;
}

/** Runs the looks every `everyMs` until stopped; keeps every violation with the time it was seen. */
export class InvariantWatch {
  readonly violations: string[] = [];
  looks = 0;
  readonly #socket: string;
  readonly #daemonPid: number;
  readonly #everyMs: number;
  #running = false;
  #loop: Promise<void> | undefined;
  readonly #t0 = Date.now();

  constructor(socket: string, daemonPid: number, everyMs: number) {
    this.#socket = socket;
    this.#daemonPid = daemonPid;
    this.#everyMs = everyMs;
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  /** One look now (also used at the end of the soak). */
  async look(): Promise<void> {
    const before = await listPlugins(this.#socket);
    const children = liveChildren(this.#daemonPid);
    const after = await listPlugins(this.#socket);
    this.looks += 1;
    const result = checkLook({ before, children, after });
    for (const v of result.violations) this.#record(v);
    if (result.suspects.length === 0 && result.strays.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = await listPlugins(this.#socket);
    const later = liveChildren(this.#daemonPid);
    const alive = new Set(later.map((c) => c.pid));
    for (const suspect of result.suspects) {
      const violation = confirmSuspect(suspect, now, alive);
      if (violation !== undefined) this.#record(violation);
    }
    for (const stray of result.strays) {
      const violation = confirmStray(stray, now, later);
      if (violation !== undefined) this.#record(violation);
    }
  }

  #record(violation: string): void {
    if (this.violations.length < 100) this.violations.push(`${((Date.now() - this.#t0) / 1000).toFixed(1)} s: ${violation}`);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        await this.look();
      } catch (error) {
        this.#record(`could not look: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, this.#everyMs));
    }
  }
}
