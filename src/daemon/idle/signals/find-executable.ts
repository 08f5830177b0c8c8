// Looks a command up on a PATH value the way a shell would, without running it.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * The first executable regular file called `name` in the directories of
 * `pathValue`. Empty and relative entries (which a shell reads as the current
 * directory) are skipped: a daemon must not run whatever its working
 * directory happens to hold.
 */
export async function findExecutable(name: string, pathValue: string | undefined): Promise<string | undefined> {
  if (pathValue === undefined || pathValue === '') return undefined;
  for (const dir of pathValue.split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    try {
      if (!(await stat(candidate)).isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not there, or not executable by us: keep looking.
    }
  }
  return undefined;
}
