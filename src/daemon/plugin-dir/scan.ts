// Lists the plugins directory: every plugin candidate with its verdict.
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { entryKind } from './entry-kind.js';
import { pluginDirError } from './errors.js';
import { inspectPlugin } from './inspect.js';
import type { Verdict } from './inspect.js';
import { isIgnoredName } from './names.js';

export interface PluginDirEntry {
  /** The file name: a plugin's name. */
  readonly name: string;
  /** Absolute, so a later chdir or a relative --plugins-dir cannot change what runs. */
  readonly path: string;
  readonly verdict: Verdict;
}

export interface ScanOptions {
  /** The daemon's uid (see inspectPlugin). */
  readonly uid: number;
  /** SHA-256 pins by plugin name. */
  readonly pins?: Readonly<Record<string, string>>;
}

/**
 * Sorted by name. Throws PluginDirError when the directory is missing, not a
 * directory or unreadable; problems with single files are verdicts, never throws.
 */
export async function scanPluginDir(dir: string, options: ScanOptions): Promise<PluginDirEntry[]> {
  const root = resolve(dir);
  let names: string[];
  try {
    names = await readdir(root);
  } catch (error) {
    throw pluginDirError(dir, error);
  }
  const candidates = names.filter((name) => !isIgnoredName(name)).sort();
  const entries = await Promise.all(
    candidates.map(async (name): Promise<PluginDirEntry | undefined> => {
      const path = join(root, name);
      // Gone between readdir and now: it is simply not there any more.
      if ((await entryKind(path)) !== 'candidate') return undefined;
      // Own keys only: a plugin named "constructor" must not find Object's.
      const pins = options.pins;
      const sha256Pin = pins !== undefined && Object.hasOwn(pins, name) ? pins[name] : undefined;
      const verdict = await inspectPlugin(path, { uid: options.uid, sha256Pin });
      return { name, path, verdict };
    }),
  );
  return entries.filter((entry): entry is PluginDirEntry => entry !== undefined);
}
