// A machine-wide lock for tests that change the system itself (installing the
// Debian package): two runs must never overlap, whatever worktree or CI run
// they come from. mkdir is atomic; the holder's pid is written inside, and a
// lock whose holder is gone is taken over.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pidAlive } from './leftovers.js';

export interface SystemLock {
  release(): Promise<void>;
}

export async function acquireSystemLock(path: string, waitMs: number): Promise<SystemLock> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await mkdir(path, { mode: 0o700 });
      await writeFile(join(path, 'pid'), String(process.pid));
      return { release: () => rm(path, { recursive: true, force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(await readFile(join(path, 'pid'), 'utf8').catch(() => ''), 10);
    if (Number.isSafeInteger(holder) && !pidAlive(holder)) {
      await rm(path, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${path} is held by pid ${holder} (another run of this test) for over ${waitMs / 1000} s`);
    await delay(500);
  }
}
