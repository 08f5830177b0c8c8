// The daemon's record of every plugin process it started, kept in the state
// directory as one small JSON file per plugin (plugins/<name>.json). A daemon
// killed by SIGKILL cannot clean up; these files tell its successor what to
// kill, and the start time in them makes sure it is still the same process.
//
// Each file is written to a temporary name and renamed into place, so a
// reader (or a daemon killed mid-write) only ever sees a whole record or the
// previous one. No fsync: the records describe processes, and a power loss
// that could lose the page cache ends those processes too.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validatePluginName } from '../errors.js';

export interface PluginProcessRecord {
  readonly name: string;
  readonly pid: number;
  /** Plugins run as process-group leaders, so this is normally the pid. */
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

export interface RecordList {
  readonly records: PluginProcessRecord[];
  readonly corrupt: CorruptRecord[];
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

  /**
   * Every record. Files that are not a valid record are removed and listed in
   * `corrupt`, so one bad file never stops the cleanup of the others. Leftover
   * temporary files of a daemon that died mid-write are removed silently.
   */
  async list(): Promise<RecordList> {
    let files: string[];
    try {
      files = await readdir(this.#dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], corrupt: [] };
      throw error;
    }
    const records: PluginProcessRecord[] = [];
    const corrupt: CorruptRecord[] = [];
    for (const file of files.sort()) {
      const path = join(this.#dir, file);
      if (file.endsWith(TEMP_SUFFIX)) {
        await rm(path, { force: true });
        continue;
      }
      if (!file.endsWith(SUFFIX)) continue;
      const name = file.slice(0, -SUFFIX.length);
      let problem: string | undefined;
      try {
        const value: unknown = JSON.parse(await readFile(path, 'utf8'));
        problem = recordProblem(value, name);
        if (problem === undefined) records.push(value as PluginProcessRecord);
      } catch (error) {
        problem = error instanceof SyntaxError ? `not valid JSON (${error.message})` : `unreadable (${errorText(error)})`;
      }
      if (problem !== undefined) {
        corrupt.push({ file: path, reason: problem });
        await rm(path, { recursive: true, force: true });
      }
    }
    return { records, corrupt };
  }
}
