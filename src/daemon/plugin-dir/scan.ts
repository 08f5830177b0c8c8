// Lists the plugins directory: every candidate file with its verdict.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonError } from '../errors.js';
import { inspectPlugin } from './inspect.js';
import type { Verdict } from './inspect.js';
import { isCandidateName } from './names.js';

export interface PluginEntry {
  readonly name: string;
  readonly path: string;
  readonly verdict: Verdict;
}

export interface ScanOptions {
  readonly uid: number;
  /** sha256 pins by plugin name. */
  readonly pins: Readonly<Record<string, string>>;
}

export async function scanPluginDir(dir: string, options: ScanOptions): Promise<PluginEntry[]> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what =
      code === 'ENOENT'
        ? 'does not exist; create it (mkdir -p DIR && chmod 755 DIR) or pass --plugins-dir'
        : code === 'ENOTDIR'
          ? 'is not a directory; pass --plugins-dir with a directory'
          : `cannot be read (${code ?? (error as Error).message}); check its permissions`;
    throw new DaemonError('CONFIG_INVALID', `plugins directory ${dir} ${what}`);
  }
  const entries: PluginEntry[] = [];
  for (const name of names.filter(isCandidateName).sort()) {
    const path = join(dir, name);
    // Subdirectories are not plugins; they are skipped like hidden files.
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) continue;
    entries.push({ name, path, verdict: await inspectPlugin(path, { uid: options.uid, sha256Pin: options.pins[name] }) });
  }
  return entries;
}
