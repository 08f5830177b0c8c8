// What a directory entry is, as far as plugin discovery cares. Directories
// (and symlinks to them) are not plugins and are passed over silently, like
// hidden files; everything else is a candidate and gets a verdict, so a
// dangling symlink or a FIFO is refused with a reason rather than ignored.
import { lstat, stat } from 'node:fs/promises';

export type EntryKind = 'candidate' | 'directory' | 'gone';

export async function entryKind(path: string): Promise<EntryKind> {
  try {
    const entry = await lstat(path);
    if (entry.isDirectory()) return 'directory';
    if (!entry.isSymbolicLink()) return 'candidate';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    // Anything else (EACCES...) is for the inspection to explain.
    return 'candidate';
  }
  const target = await stat(path).catch(() => undefined);
  return target?.isDirectory() === true ? 'directory' : 'candidate';
}
