// Looks a command up on a PATH value the way a shell would, without running it.
// Synchronous: a few stat calls on local directories, every sample; the async
// versions hop through libuv's thread pool, which costs more than the lookup
// and lets the daemon's RSS creep (see proc-file.ts).
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * The first executable regular file called `name` in the directories of
 * `pathValue`. Empty and relative entries (which a shell reads as the current
 * directory) are skipped: a daemon must not run whatever its working
 * directory happens to hold.
 */
export function findExecutable(name: string, pathValue: string | undefined): string | undefined {
  if (pathValue === undefined || pathValue === '') return undefined;
  for (const dir of pathValue.split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not there, or not executable by us: keep looking.
    }
  }
  return undefined;
}
