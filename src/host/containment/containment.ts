// Containment of plugin processes: a cgroup v2 per plugin where the daemon
// can make one (plan.ts says where), its process group otherwise.
//
// With cgroups, a plugin process is moved into snoozebot-plugin-NAME before
// it execs (spawn-wrapper.ts), so everything it forks stays inside, setsid()
// or not; its stop, crash or restart ends with cgroup.kill, a wait until the
// cgroup is empty, and its removal. A daemon that starts finds the plugin
// cgroups a killed predecessor left in its home and empties them.
//
// One cgroup per plugin name at a time: a restart's new process gets the
// cgroup only once the old one has been emptied and removed (acquire waits
// for the previous holder's release), so a crash's leftovers can never be
// mistaken for the new process's.
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { rssBytes } from '../process-memory.js';
import { CgroupDir } from './cgroup.js';
import { isPluginCgroupName, parseCgroup2Mounts, pluginNameOf, parseControllers, parsePids, parseProcCgroup, pluginCgroupName } from './cgroup-files.js';
import { planContainment } from './plan.js';
import type { Layout } from './plan.js';

export type ContainmentMode = 'cgroup' | 'process-group';

/** What `status` shows. */
export interface ContainmentStatus {
  readonly mode: ContainmentMode;
  /** cgroup: the home directory of the plugins' cgroups; process-group: why cgroups are not used. */
  readonly detail: string;
  /** How per-plugin memory is measured. */
  readonly memory: 'memory.current' | 'rss';
}

/** The two pino methods used; a pino Logger fits. */
export interface ContainmentLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface ContainmentOptions {
  /** The home's name when the daemon's own cgroup is shared (see plan.ts). */
  readonly homeName: string;
  readonly log: ContainmentLog;
  /** Where /proc is (self/cgroup, self/mountinfo); tests point it at a fixture tree. */
  readonly procRoot?: string;
  /** Move this process into the home's daemon leaf (the daemon does; a test host need not). Default true. */
  readonly adoptSelf?: boolean;
  /** Set: cgroups are not used, for this reason (the config turned them off). */
  readonly disabled?: string;
}

/** A leftover cgroup a previous daemon left, and what was in it. */
export interface LeftoverCgroup {
  readonly cgroup: string;
  readonly pids: readonly number[];
  /** Why it could not be emptied or removed, if so. */
  readonly error?: string;
}

/** What release() did: the pids it killed, and why the cgroup could not be emptied or removed, if so. */
export interface ReleaseOutcome {
  readonly pids: readonly number[];
  readonly error?: string;
}

/** How long a killed cgroup may take to empty. */
const KILL_WAIT_MS = 2_000;

function errorText(error: unknown): string {
  return (error as Error | undefined)?.message ?? String(error);
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Cgroups holding live plugins, killed if the host exits without releasing them. */
const live = new Set<CgroupDir>();
let exitHooked = false;
function trackLive(dir: CgroupDir): void {
  live.add(dir);
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const cgroup of live) cgroup.killSync();
    });
  }
}

/** One plugin process's cgroup, from acquire() to release(). */
export class PluginCgroup {
  readonly #dir: CgroupDir;
  readonly #release: () => void;
  readonly #memoryCurrent: boolean;
  #released: Promise<ReleaseOutcome> | undefined;

  constructor(dir: CgroupDir, memoryCurrent: boolean, release: () => void) {
    this.#dir = dir;
    this.#memoryCurrent = memoryCurrent;
    this.#release = release;
    trackLive(dir);
  }

  get path(): string {
    return this.#dir.path;
  }

  /** What the process writes its own pid into before it execs the plugin. */
  get procsFile(): string {
    return this.#dir.procsFile;
  }

  async populated(): Promise<boolean> {
    return this.#dir.populated();
  }

  /** SIGKILL to everything in the cgroup (cgroup.kill), without waiting. */
  async kill(): Promise<void> {
    await this.#dir.kill();
  }

  /** memory.current, or the sum of the RSS of the processes in it. */
  async memoryBytes(): Promise<number> {
    if (this.#memoryCurrent) {
      const current = await this.#dir.memoryCurrent();
      if (current !== undefined) return current;
    }
    const sizes = await Promise.all((await this.#dir.procs()).map(rssBytes));
    return sizes.reduce((sum, bytes) => sum + bytes, 0);
  }

  /**
   * Kills whatever is left in the cgroup, waits until it is empty and removes
   * it; then the next process of this plugin may have the name. Idempotent;
   * never throws (a cgroup that cannot be emptied is logged by the caller
   * from the error and retried by the next acquire).
   */
  release(): Promise<ReleaseOutcome> {
    this.#released ??= (async (): Promise<ReleaseOutcome> => {
      let pids: number[] = [];
      try {
        pids = await this.#dir.killAll(KILL_WAIT_MS);
        await this.#dir.remove();
        return { pids };
      } catch (error) {
        return { pids, error: errorText(error) };
      } finally {
        live.delete(this.#dir);
        this.#release();
      }
    })();
    return this.#released;
  }
}

export class Containment {
  readonly status: ContainmentStatus;
  #leftovers: readonly LeftoverCgroup[] = [];
  readonly #layout: Layout;
  readonly #log: ContainmentLog;
  readonly #adoptSelf: boolean;
  /** Per plugin cgroup name: settles when its current holder has released it. */
  readonly #held = new Map<string, Promise<void>>();

  private constructor(layout: Layout, status: ContainmentStatus, log: ContainmentLog, adoptSelf: boolean) {
    this.#layout = layout;
    this.status = status;
    this.#log = log;
    this.#adoptSelf = adoptSelf;
  }

  /** Process groups only, for `reason`. */
  static processGroups(reason: string, log: ContainmentLog): Containment {
    return new Containment({ kind: 'process-group', reason }, { mode: 'process-group', detail: reason, memory: 'rss' }, log, false);
  }

  /**
   * Finds the cgroup2 mount and the daemon's cgroup, makes the home and the
   * daemon's leaf and moves the daemon there, turns on the memory controller
   * for the plugins where it can, and empties plugin cgroups left by a killed
   * predecessor. Anything in the way means process groups, with the reason.
   */
  static async setup(options: ContainmentOptions): Promise<Containment> {
    const { log } = options;
    if (options.disabled !== undefined) return Containment.processGroups(options.disabled, log);
    const procRoot = options.procRoot ?? '/proc';
    const read = (path: string) => readFile(path, 'utf8').catch(() => undefined);
    const [cgroupText, mountText] = await Promise.all([read(`${procRoot}/self/cgroup`), read(`${procRoot}/self/mountinfo`)]);
    const mounts = mountText === undefined ? [] : parseCgroup2Mounts(mountText);
    const cgroupPath = cgroupText === undefined ? undefined : parseProcCgroup(cgroupText);
    const draft = planContainment({ cgroupPath, mounts, ownProcs: [], selfPid: process.pid, homeName: options.homeName });
    let ownProcs: number[] | undefined;
    if (draft.kind === 'cgroup') ownProcs = await readFile(`${draft.ownDir}/cgroup.procs`, 'utf8').then(parsePids, () => undefined);
    const layout = planContainment({ cgroupPath, mounts, ownProcs, selfPid: process.pid, homeName: options.homeName });
    if (layout.kind === 'process-group') return Containment.processGroups(layout.reason, log);

    const adoptSelf = options.adoptSelf ?? true;
    const home = new CgroupDir(layout.home);
    const leaf = new CgroupDir(layout.leaf);
    try {
      if (!layout.delegated) await home.create();
      await leaf.create();
    } catch (error) {
      return Containment.processGroups(`cannot create cgroups under ${layout.ownDir}: ${errorText(error)}`, log);
    }
    const others = (await leaf.procs()).filter((pid) => pid !== process.pid);
    if (others.length > 0) {
      return Containment.processGroups(`another snoozebot daemon (pid ${others.join(', ')}) uses the cgroups under ${layout.home}`, log);
    }
    if (adoptSelf) {
      try {
        await leaf.enter(process.pid);
      } catch (error) {
        return Containment.processGroups(`cannot move the daemon into ${layout.leaf}: ${errorText(error)}`, log);
      }
    }
    const memory = await enableMemory(home, log);
    const containment = new Containment(layout, { mode: 'cgroup', detail: layout.home, memory: memory ? 'memory.current' : 'rss' }, log, adoptSelf);
    containment.#leftovers = await containment.#reapLeftovers();
    return containment;
  }

  /** What setup() found left by a previous daemon, and killed. */
  get leftovers(): readonly LeftoverCgroup[] {
    return this.#leftovers;
  }

  get enabled(): boolean {
    return this.#layout.kind === 'cgroup';
  }

  /** "cgroup (/sys/fs/cgroup/…)" or "process-group (why)": the status line. */
  describe(): string {
    return `${this.status.mode} (${this.status.detail})`;
  }

  /**
   * The empty cgroup for plugin `name`'s next process, once the previous one
   * of that name has been released. A cgroup of that name still there (a
   * release that could not finish) is emptied first.
   */
  async acquire(name: string): Promise<PluginCgroup> {
    if (this.#layout.kind !== 'cgroup') throw new Error(`containment is by process group (${this.status.detail}); no cgroups`);
    const cgroupName = pluginCgroupName(name, digest);
    const previous = this.#held.get(cgroupName);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.#held.set(cgroupName, mine);
    await previous;
    const dir = new CgroupDir(`${this.#layout.home}/${cgroupName}`);
    const done = () => {
      if (this.#held.get(cgroupName) === mine) this.#held.delete(cgroupName);
      release();
    };
    try {
      if ((await dir.create()) === 'existed') {
        const pids = await dir.killAll(KILL_WAIT_MS);
        if (pids.length > 0) this.#log.warn({ cgroup: dir.path, pids }, 'killed processes left in the cgroup of an earlier process of this plugin');
      }
    } catch (error) {
      done();
      throw error;
    }
    return new PluginCgroup(dir, this.status.memory === 'memory.current', done);
  }

  /** Plugin cgroups in the home with processes in them: what a killed daemon left. */
  async #reapLeftovers(): Promise<LeftoverCgroup[]> {
    if (this.#layout.kind !== 'cgroup') return [];
    const entries = await readdir(this.#layout.home).catch(() => []);
    const found: LeftoverCgroup[] = [];
    for (const entry of entries.filter(isPluginCgroupName).sort()) {
      const dir = new CgroupDir(`${this.#layout.home}/${entry}`);
      try {
        const pids = await dir.killAll(KILL_WAIT_MS);
        await dir.remove();
        found.push({ cgroup: dir.path, pids });
        if (pids.length > 0) this.#log.warn({ plugin: pluginNameOf(entry), cgroup: dir.path, pids }, 'killed the processes a previous daemon left in a plugin cgroup');
      } catch (error) {
        found.push({ cgroup: dir.path, pids: [], error: errorText(error) });
        this.#log.warn({ plugin: pluginNameOf(entry), cgroup: dir.path, error: errorText(error) }, 'could not empty a plugin cgroup left by a previous daemon');
      }
    }
    return found;
  }

  /**
   * The daemon's last act: leaves a home it made for itself (back to the
   * cgroup it started in, then removes its leaf and the home). A delegated
   * home is left to its owner (systemd removes it with the unit).
   */
  async close(): Promise<void> {
    const layout = this.#layout;
    if (layout.kind !== 'cgroup' || layout.delegated) return;
    try {
      if (this.#adoptSelf) await new CgroupDir(layout.ownDir).enter(process.pid);
      await new CgroupDir(layout.leaf).remove();
      await new CgroupDir(layout.home).remove();
    } catch (error) {
      this.#log.warn({ cgroup: layout.home, error: errorText(error) }, 'could not remove the daemon\'s cgroups');
    }
  }
}

/** Turns the memory controller on for the plugins' cgroups, where the home may hand it down. */
async function enableMemory(home: CgroupDir, log: ContainmentLog): Promise<boolean> {
  const available = await readFile(`${home.path}/cgroup.controllers`, 'utf8').then(parseControllers, (): string[] => []);
  if (!available.includes('memory')) return false;
  const enabled = await readFile(`${home.path}/cgroup.subtree_control`, 'utf8').then(parseControllers, (): string[] => []);
  if (enabled.includes('memory')) return true;
  try {
    await writeFile(`${home.path}/cgroup.subtree_control`, '+memory');
    return true;
  } catch (error) {
    log.warn({ cgroup: home.path, error: errorText(error) }, 'cannot turn on the memory controller for plugin cgroups; plugin memory is the sum of their RSS');
    return false;
  }
}
