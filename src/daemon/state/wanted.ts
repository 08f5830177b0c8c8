// The operator's word on each plugin (load or unload), kept in the state
// directory (wanted.json) so that it survives a daemon restart: an operator
// who unloaded the aws plugin to keep the machine up finds it still unloaded
// after a reboot. Only the operator's requests are kept; the config speaks
// for itself on every start.
//
// One small JSON file, written whole to a temporary name and renamed into
// place, so a reader never sees half of it. A file that cannot be read is
// reported and ignored: the config then decides, which is what a fresh
// install does.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WantedState } from '../supervisor/states.js';

export interface OperatorWanted {
  readonly state: WantedState;
  /** Epoch ms of the request. */
  readonly at: number;
}

export interface WantedFile {
  readonly wanted: ReadonlyMap<string, OperatorWanted>;
  /** Why the file was ignored, if it was. */
  readonly problem: string | undefined;
}

const FILE = 'wanted.json';

/** The entries of a parsed wanted.json, or why it is not one. Pure. */
export function parseWanted(text: string): { wanted: Map<string, OperatorWanted> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `not valid JSON (${(error as Error).message})` };
  }
  const plugins = (value as { plugins?: unknown } | null)?.plugins;
  if (typeof plugins !== 'object' || plugins === null || Array.isArray(plugins)) return { problem: 'no "plugins" object' };
  const wanted = new Map<string, OperatorWanted>();
  for (const [name, entry] of Object.entries(plugins)) {
    const { state, at } = (entry ?? {}) as { state?: unknown; at?: unknown };
    const when = typeof at === 'string' ? Date.parse(at) : Number.NaN;
    if ((state !== 'loaded' && state !== 'unloaded') || Number.isNaN(when)) return { problem: `entry ${JSON.stringify(name)} is not { "state": "loaded" | "unloaded", "at": TIME }` };
    wanted.set(name, { state, at: when });
  }
  return { wanted };
}

export class WantedStore {
  readonly #stateDir: string;
  readonly #wanted = new Map<string, OperatorWanted>();
  /** Writes in the order asked for; each writes the whole map as it is then. */
  #writing: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.#stateDir = stateDir;
  }

  get file(): string {
    return join(this.#stateDir, FILE);
  }

  /** Reads the file once, at daemon start. */
  async load(): Promise<WantedFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { wanted: new Map(), problem: undefined };
      return { wanted: new Map(), problem: `unreadable (${(error as Error).message})` };
    }
    const parsed = parseWanted(text);
    if ('problem' in parsed) return { wanted: new Map(), problem: parsed.problem };
    for (const [name, wanted] of parsed.wanted) this.#wanted.set(name, wanted);
    return { wanted: new Map(this.#wanted), problem: undefined };
  }

  get(name: string): OperatorWanted | undefined {
    return this.#wanted.get(name);
  }

  /** Records (wanted set) or drops (undefined) the operator's word on `name`; resolves once it is on disk. */
  set(name: string, wanted: OperatorWanted | undefined): Promise<void> {
    if (wanted === undefined) this.#wanted.delete(name);
    else this.#wanted.set(name, wanted);
    const write = this.#writing.catch(() => undefined).then(() => this.#write());
    this.#writing = write;
    return write;
  }

  async #write(): Promise<void> {
    const plugins: Record<string, { state: WantedState; at: string }> = {};
    for (const [name, wanted] of [...this.#wanted].sort(([a], [b]) => a.localeCompare(b))) {
      plugins[name] = { state: wanted.state, at: new Date(wanted.at).toISOString() };
    }
    await mkdir(this.#stateDir, { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(temp, `${JSON.stringify({ plugins }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      await rename(temp, this.file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}
