// The state directory's record of every plugin process the daemon started:
// one small JSON file per plugin, written atomically, so a daemon that died
// by SIGKILL leaves behind exactly what its successor needs to clean up.
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ProcessRecord {
  readonly name: string;
  readonly pid: number;
  readonly pgid: number;
  readonly startTime: string;
  readonly path: string;
  readonly daemonPid: number;
  readonly recordedAt?: string;
}

function isRecord(value: unknown): value is ProcessRecord {
  if (value === null || typeof value !== 'object') return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.name === 'string' &&
    Number.isInteger(r.pid) &&
    Number.isInteger(r.pgid) &&
    typeof r.startTime === 'string' &&
    typeof r.path === 'string' &&
    Number.isInteger(r.daemonPid)
  );
}

export class StateStore {
  readonly #dir: string;

  constructor(stateDir: string) {
    this.#dir = join(stateDir, 'plugins');
  }

  get dir(): string {
    return this.#dir;
  }

  async record(record: Omit<ProcessRecord, 'recordedAt'>): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const file = join(this.#dir, `${record.name}.json`);
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify({ ...record, recordedAt: new Date().toISOString() })}\n`, { mode: 0o600 });
    await rename(temp, file);
  }

  async forget(name: string): Promise<void> {
    await rm(join(this.#dir, `${name}.json`), { force: true });
  }

  /** Every readable record; unreadable or corrupt files are removed and reported in `corrupt`. */
  async list(): Promise<{ records: ProcessRecord[]; corrupt: string[] }> {
    let files: string[];
    try {
      files = await readdir(this.#dir);
    } catch {
      return { records: [], corrupt: [] };
    }
    const records: ProcessRecord[] = [];
    const corrupt: string[] = [];
    for (const file of files.filter((f) => f.endsWith('.json'))) {
      const path = join(this.#dir, file);
      try {
        const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
        if (!isRecord(parsed)) throw new Error('not a process record');
        records.push(parsed);
      } catch {
        corrupt.push(file);
        await rm(path, { force: true });
      }
    }
    return { records, corrupt };
  }
}
