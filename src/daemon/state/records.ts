// The daemon's record of every plugin process it started, kept in the state
// directory as one small JSON file per plugin (plugins/<name>.json). A daemon
// killed by SIGKILL cannot clean up; these files tell its successor what to
// kill, and the start time in them makes sure it is still the same process.
//
// Each file is written to a temporary name and renamed into place, so a
// reader (or a daemon killed mid-write) only ever sees a whole record or the
// previous one. No fsync: the records describe processes, and a power loss
// that could lose the page cache ends those processes too.
//
// The records decide what the daemon SIGKILLs at start, so they are only
// read from directories nobody else could have written to (StateDirError
// otherwise), and only regular files are read: a FIFO would block the read
// (and the daemon's start) forever, a symlink could lead anywhere.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validatePluginName } from '../errors.js';

export interface PluginProcessRecord {
  readonly name: string;
  readonly pid: number;
  /** Plugins run as process-group leaders: always the pid (a record saying otherwise is corrupt). */
  readonly pgid: number;
  /** /proc/<pid>/stat field 22: what tells this process from a later one with the same pid. */
  readonly startTime: number;
  readonly path: string;
  readonly daemonPid: number;
  /** ISO-8601. */
  readonly recordedAt: string;
}

export type NewPluginProcessRecord = Omit<PluginProcessRecord, 'recordedAt'> & { readonly recordedAt?: string };

/** A record file that could not be used; it has been removed. */
export interface CorruptRecord {
  readonly file: string;
  readonly reason: string;
}

/** A directory entry that is not a regular file: not read, not removed, reported. */
export interface SkippedEntry {
  readonly file: string;
  readonly reason: string;
}

export interface RecordList {
  readonly records: PluginProcessRecord[];
  readonly corrupt: CorruptRecord[];
  readonly skipped: SkippedEntry[];
}

/** The state directory (or its plugins/ directory) could have been written by someone else: its records are not used. */
export class StateDirError extends Error {
  override readonly name = 'StateDirError';
  readonly code = 'STATE_DIR_UNSAFE';
  readonly dir: string;
  constructor(dir: string, message: string) {
    super(message);
    this.dir = dir;
  }
}

const SUFFIX = '.json';
const TEMP_SUFFIX = '.tmp';

/** pid 0 and 1 must never get here: kill(-1) signals every process, kill(-0) the daemon's own group. */
function isPid(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 1;
}

/** Why `value` is not a record for plugin `name`, or undefined if it is one. */
function recordProblem(value: unknown, name: string): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  if (r.name !== name) return `"name" is ${JSON.stringify(r.name)}, not ${JSON.stringify(name)} as the file name says`;
  for (const key of ['pid', 'pgid', 'daemonPid'] as const) {
    if (!isPid(r[key])) return `"${key}" is ${JSON.stringify(r[key])}, not a pid above 1`;
  }
  // Every plugin leads its own process group; a record naming another group
  // is not one the daemon wrote, and acting on it would signal strangers.
  if (r.pgid !== r.pid) return `"pgid" is ${JSON.stringify(r.pgid)}, not the plugin's own pid ${JSON.stringify(r.pid)} (plugins lead their own process group)`;
  if (typeof r.startTime !== 'number' || !Number.isSafeInteger(r.startTime) || r.startTime < 0) {
    return `"startTime" is ${JSON.stringify(r.startTime)}, not a count of clock ticks`;
  }
  if (typeof r.path !== 'string' || r.path === '') return `"path" is ${JSON.stringify(r.path)}, not a path`;
  if (typeof r.recordedAt !== 'string' || Number.isNaN(Date.parse(r.recordedAt))) {
    return `"recordedAt" is ${JSON.stringify(r.recordedAt)}, not a time`;
  }
  return undefined;
}

function errorText(error: unknown): string {
  return (error as Error | undefined)?.message ?? String(error);
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * Why `dir` cannot be trusted with records that decide what gets killed, or
 * undefined. Owned by the daemon's user and writable by nobody else (a
 * group-writable directory is fine only when the group is root's).
 */
export function stateDirProblem(dir: string, info: { uid: number; gid: number; mode: number; isDirectory: boolean }, uid: number): string | undefined {
  if (!info.isDirectory) return `${dir} is not a directory`;
  if (info.uid !== uid) {
    return `${dir} is owned by uid ${info.uid}, not by the daemon's user (uid ${uid}), so that user could plant records that make the daemon kill processes; chown ${uid === 0 ? 'root' : uid} ${dir}`;
  }
  if ((info.mode & 0o002) !== 0 || ((info.mode & 0o020) !== 0 && info.gid !== 0)) {
    return `${dir} is writable by ${(info.mode & 0o002) !== 0 ? 'every user' : `its group (gid ${info.gid})`} (mode ${octal(info.mode)}), so others could plant records that make the daemon kill processes; chmod 700 ${dir}`;
  }
  return undefined;
}

/** The text of a regular file, read without following a symlink or blocking on a FIFO put there meanwhile. */
async function readRegularFile(path: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) throw new Error('not a regular file');
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

export class StateStore {
  readonly #stateDir: string;
  readonly #dir: string;
  /** Per plugin, so a record and a forget for the same name land in the order they were asked for. */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(stateDir: string) {
    this.#stateDir = stateDir;
    this.#dir = join(stateDir, 'plugins');
  }

  /** Where the record files are. */
  get dir(): string {
    return this.#dir;
  }

  #file(name: string): string {
    return join(this.#dir, `${validatePluginName(name)}${SUFFIX}`);
  }

  #serial<T>(name: string, work: () => Promise<T>): Promise<T> {
    const run = (this.#queues.get(name) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.#queues.set(name, run);
    void run
      .catch(() => undefined)
      .finally(() => {
        if (this.#queues.get(name) === run) this.#queues.delete(name);
      });
    return run;
  }

  /** Records (or replaces) the process of plugin `record.name`. */
  async record(input: NewPluginProcessRecord): Promise<PluginProcessRecord> {
    const record: PluginProcessRecord = {
      name: input.name,
      pid: input.pid,
      pgid: input.pgid,
      startTime: input.startTime,
      path: input.path,
      daemonPid: input.daemonPid,
      recordedAt: input.recordedAt ?? new Date().toISOString(),
    };
    const problem = recordProblem(record, input.name);
    if (problem !== undefined) throw new TypeError(`refusing to record plugin ${JSON.stringify(input.name)}: ${problem}`);
    const file = this.#file(record.name);
    return this.#serial(record.name, async () => {
      // Only the daemon (root) should read where its plugins run and what to kill.
      await mkdir(this.#stateDir, { recursive: true, mode: 0o700 });
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      await chmod(this.#dir, 0o700);
      const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`;
      try {
        await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
        await rename(temp, file);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      return record;
    });
  }

  /** Drops the record of plugin `name`; no record is fine. */
  async forget(name: string): Promise<void> {
    const file = this.#file(name);
    return this.#serial(name, () => rm(file, { force: true }));
  }

  /** Throws StateDirError when the state directory or its plugins/ directory could have been written by another user. */
  async checkSafe(uid: number = process.getuid?.() ?? 0): Promise<void> {
    for (const [dir, follow] of [
      [this.#stateDir, true],
      [this.#dir, false],
    ] as const) {
      let info;
      try {
        // The state directory itself may be a symlink (to another disk); what it leads to is judged.
        info = follow ? await stat(dir) : await lstat(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      const problem = stateDirProblem(dir, { uid: info.uid, gid: info.gid, mode: info.mode, isDirectory: info.isDirectory() }, uid);
      if (problem !== undefined) throw new StateDirError(dir, `refusing the plugin records in state directory ${this.#stateDir}: ${problem}`);
    }
  }

  /**
   * Every record, after checkSafe(). Files that are not a valid record are
   * removed and listed in `corrupt`, so one bad file never stops the cleanup of
   * the others; entries that are not regular files are listed in `skipped`
   * and left alone. Leftover temporary files of a daemon that died mid-write
   * are removed silently.
   */
  async list(): Promise<RecordList> {
    await this.checkSafe();
    let files: string[];
    try {
      files = await readdir(this.#dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], corrupt: [], skipped: [] };
      throw error;
    }
    const records: PluginProcessRecord[] = [];
    const corrupt: CorruptRecord[] = [];
    const skipped: SkippedEntry[] = [];
    for (const file of files.sort()) {
      const path = join(this.#dir, file);
      const entry = await lstat(path).catch(() => undefined);
      if (entry === undefined) continue;
      if (!entry.isFile()) {
        if (file.endsWith(SUFFIX) || file.endsWith(TEMP_SUFFIX)) {
          const kind = entry.isDirectory() ? 'a directory' : entry.isSymbolicLink() ? 'a symlink' : entry.isFIFO() ? 'a FIFO' : 'not a regular file';
          skipped.push({ file: path, reason: `${kind}, not a record the daemon wrote; remove it` });
        }
        continue;
      }
      if (file.endsWith(TEMP_SUFFIX)) {
        await rm(path, { force: true });
        continue;
      }
      if (!file.endsWith(SUFFIX)) continue;
      const name = file.slice(0, -SUFFIX.length);
      let problem: string | undefined;
      try {
        const value: unknown = JSON.parse(await readRegularFile(path));
        problem = recordProblem(value, name);
        if (problem === undefined) records.push(value as PluginProcessRecord);
      } catch (error) {
        problem = error instanceof SyntaxError ? `not valid JSON (${error.message})` : `unreadable (${errorText(error)})`;
      }
      if (problem !== undefined) {
        corrupt.push({ file: path, reason: problem });
        await rm(path, { force: true });
      }
    }
    return { records, corrupt, skipped };
  }
}
