// Gathers the facts trust.ts judges: resolves a plugin's path one component
// at a time, as the kernel does, and lstats every directory from `/` down,
// every symlink (whose target is spliced into the rest of the path) and the
// file at the end, whose first bytes it reads.
//
// realpath() alone would hide the links and the directories above each
// target; the kernel's own walk is what an attacker would have to subvert,
// so that is what is checked.
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { NodeKind, PluginWalk, WalkEnd, WalkStep } from './trust.js';

/** Linux's MAXSYMLINKS. */
const MAX_LINKS = 40;
const HEAD_BYTES = 4;

function kindOf(stats: Stats): NodeKind {
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFile()) return 'file';
  return 'other';
}

function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

function errorText(error: unknown): string {
  return (error as Error | undefined)?.message ?? String(error);
}

/**
 * The first bytes of a regular file. O_NONBLOCK and O_NOFOLLOW: whatever
 * replaced the file since its lstat (a FIFO, a symlink) neither hangs nor
 * redirects the read; fstat must still show the same regular file.
 */
async function readHead(path: string, expected: Stats): Promise<Uint8Array | string> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return `cannot be read: ${errorText(error)}`;
  }
  try {
    const now = await handle.stat();
    if (!now.isFile() || now.ino !== expected.ino || now.dev !== expected.dev) return 'changed while it was being checked';
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    return `cannot be read: ${errorText(error)}`;
  } finally {
    await handle.close();
  }
}

/** Never throws: what cannot be examined ends the walk with a reason. */
export async function walkPluginPath(entry: string): Promise<PluginWalk> {
  const absolute = resolve(entry);
  const steps: WalkStep[] = [];
  /** Components still to resolve; `own` marks the plugin's own name (the last component of `entry`). */
  const queue: Array<{ name: string; own: boolean }> = components(absolute).map((name, i, all) => ({ name, own: i === all.length - 1 }));
  /** The directories of the current position, `/` first: ".." pops one. */
  const stack: string[] = ['/'];
  let viaLink = false;
  let links = 0;
  /** The last symlink followed and the path its target names, to tell a dangling link from a deeper missing directory. */
  let lastLink: { path: string; target: string; resolved: string } | undefined;

  const finish = (end: WalkEnd): PluginWalk => ({ entry: absolute, steps, end });
  const record = async (path: string, role: WalkStep['role'] | 'auto'): Promise<Stats | WalkEnd> => {
    let stats: Stats;
    try {
      stats = await lstat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        const link = lastLink !== undefined && lastLink.resolved === path ? { path: lastLink.path, target: lastLink.target } : undefined;
        return { kind: 'missing', path, ...(link === undefined ? {} : { link }) };
      }
      if (code === 'ENOTDIR') return { kind: 'not-a-directory', path };
      return { kind: 'unreadable', path, reason: `${path}: ${errorText(error)}` };
    }
    if (role !== 'auto') steps.push({ path, kind: kindOf(stats), uid: stats.uid, gid: stats.gid, mode: stats.mode, role, viaLink });
    return stats;
  };

  const root = await record('/', 'ancestor');
  if (!('isFile' in root)) return finish(root);
  // The plugins directory is the one the plugin's own name is looked up in;
  // it is known only once the walk gets there, so its step is re-marked then.
  const markPluginsDir = () => {
    const dir = stack[stack.length - 1];
    for (let i = steps.length - 1; i >= 0; i--) {
      const step = steps[i];
      if (step !== undefined && step.path === dir && step.kind === 'directory') {
        steps[i] = { ...step, role: 'plugins-dir' };
        return;
      }
    }
  };

  while (queue.length > 0) {
    const { name, own } = queue.shift() as { name: string; own: boolean };
    const here = stack[stack.length - 1] ?? '/';
    if (name === '..') {
      if (stack.length > 1) stack.pop();
      continue;
    }
    if (own) markPluginsDir();
    const path = here === '/' ? `/${name}` : `${here}/${name}`;
    const last = queue.length === 0;
    const stats = await record(path, 'auto');
    if (!('isFile' in stats)) return finish(stats);
    if (stats.isSymbolicLink()) {
      steps.push({ path, kind: 'symlink', uid: stats.uid, gid: stats.gid, mode: stats.mode, role: 'link', viaLink });
      links += 1;
      if (links > MAX_LINKS) return finish({ kind: 'loop', path });
      let target: string;
      try {
        target = await readlink(path);
      } catch (error) {
        return finish({ kind: 'unreadable', path, reason: `${path}: ${errorText(error)}` });
      }
      lastLink = { path, target, resolved: resolve(here, target) };
      // Links in the plugin's own path make everything after them "via a link".
      viaLink = true;
      queue.unshift(...components(target).map((c) => ({ name: c, own: false })));
      if (isAbsolute(target)) stack.splice(1);
      continue;
    }
    if (stats.isDirectory() && !last) {
      steps.push({ path, kind: 'directory', uid: stats.uid, gid: stats.gid, mode: stats.mode, role: 'ancestor', viaLink });
      stack.push(path);
      continue;
    }
    if (!last) return finish({ kind: 'not-a-directory', path });
    steps.push({ path, kind: kindOf(stats), uid: stats.uid, gid: stats.gid, mode: stats.mode, role: 'file', viaLink });
    if (!stats.isFile()) return finish({ kind: 'reached', realPath: path, head: new Uint8Array() });
    const head = await readHead(path, stats);
    if (typeof head === 'string') return finish({ kind: 'unreadable', path, reason: `${path} ${head}` });
    return finish({ kind: 'reached', realPath: path, head });
  }
  // Only `/` itself (or a path of nothing but ".."): not a file.
  const top = stack[stack.length - 1] ?? '/';
  const stats = await record(top, 'auto');
  if (!('isFile' in stats)) return finish(stats);
  steps.push({ path: top, kind: kindOf(stats), uid: stats.uid, gid: stats.gid, mode: stats.mode, role: 'file', viaLink });
  return finish({ kind: 'reached', realPath: top, head: new Uint8Array() });
}
