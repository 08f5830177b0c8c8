// May this file run as a plugin? The daemon runs plugins with its own rights
// (root, as a service), so a file that someone else could have written is
// refused, with a reason that says what to do.
import { lstat, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { normalizeSha256, sha256File } from '../../host/checksum.js';

export interface FileFacts {
  readonly isFile: boolean;
  readonly mode: number;
  readonly uid: number;
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const OK: Verdict = { ok: true };

function owner(uid: number, daemonUid: number): boolean {
  return uid === 0 || uid === daemonUid;
}

/** The decision, from facts about the (symlink-resolved) file and its directory. Pure. */
export function judge(file: FileFacts, dir: FileFacts, daemonUid: number): Verdict {
  if (!file.isFile) return { ok: false, reason: 'not a regular file' };
  if ((file.mode & 0o111) === 0) return { ok: false, reason: 'not executable; chmod 755 it' };
  if ((file.mode & 0o002) !== 0) return { ok: false, reason: 'writable by any user; chmod o-w it' };
  if (!owner(file.uid, daemonUid)) {
    return { ok: false, reason: `owned by uid ${file.uid}, not root or the daemon's user; chown root it` };
  }
  if ((dir.mode & 0o002) !== 0) {
    return { ok: false, reason: 'its directory is writable by any user; chmod o-w the directory' };
  }
  if (!owner(dir.uid, daemonUid)) {
    return { ok: false, reason: `its directory is owned by uid ${dir.uid}, not root or the daemon's user` };
  }
  return OK;
}

export interface InspectOptions {
  readonly uid: number;
  readonly sha256Pin?: string | undefined;
}

/**
 * Checks the file a plugin path names. A symlink is followed and its target
 * (and the target's directory) must pass: packages often install a binary
 * elsewhere and link it in.
 */
export async function inspectPlugin(path: string, options: InspectOptions): Promise<Verdict> {
  let target: string;
  try {
    const link = await lstat(path);
    target = link.isSymbolicLink() ? await realpath(path) : path;
  } catch (error) {
    return { ok: false, reason: `cannot read it: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  try {
    const [file, dir] = await Promise.all([stat(target), stat(dirname(target))]);
    const verdict = judge({ isFile: file.isFile(), mode: file.mode, uid: file.uid }, { isFile: false, mode: dir.mode, uid: dir.uid }, options.uid);
    if (!verdict.ok) return target === path ? verdict : { ok: false, reason: `${verdict.reason} (symlink target ${target})` };
  } catch (error) {
    return { ok: false, reason: `cannot read it: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  if (options.sha256Pin !== undefined) {
    const expected = normalizeSha256(options.sha256Pin);
    const actual = await sha256File(target);
    if (actual !== expected) {
      return { ok: false, reason: `sha256 is ${actual}, but ${expected} is pinned; update the pin if this binary is trusted` };
    }
  }
  return OK;
}
