// One cgroup directory and what the host does with it: make it, move a
// process in, kill everything in it (cgroup.kill: one write, the kernel
// SIGKILLs every process of the cgroup and its descendants, including ones
// forked meanwhile), wait until it is empty, remove it.
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { parsePids, parsePopulated } from './cgroup-files.js';

/** A process killed with SIGKILL leaves asynchronously and is not ours to wait for: the cgroup is polled. */
const POLL_MS = 5;

export class CgroupError extends Error {
  override readonly name = 'CgroupError';
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function errorText(error: unknown): string {
  return (error as Error | undefined)?.message ?? String(error);
}

export class CgroupDir {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  get procsFile(): string {
    return `${this.path}/cgroup.procs`;
  }

  /** 'existed' when the directory was there already. */
  async create(): Promise<'created' | 'existed'> {
    try {
      await mkdir(this.path);
      return 'created';
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return 'existed';
      throw error;
    }
  }

  async exists(): Promise<boolean> {
    try {
      await readFile(this.procsFile, 'utf8');
      return true;
    } catch {
      return false;
    }
  }

  /** The pids directly in this cgroup (empty when it is gone). */
  async procs(): Promise<number[]> {
    try {
      return parsePids(await readFile(this.procsFile, 'utf8'));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw error;
    }
  }

  procsSync(): number[] {
    try {
      return parsePids(readFileSync(this.procsFile, 'utf8'));
    } catch {
      return [];
    }
  }

  /** A process lives in this cgroup or below it. */
  async populated(): Promise<boolean> {
    try {
      return parsePopulated(await readFile(`${this.path}/cgroup.events`, 'utf8'));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  /** Moves process `pid` (all its threads) into this cgroup. */
  async enter(pid: number): Promise<void> {
    await writeFile(this.procsFile, String(pid));
  }

  /** cgroup.kill; where the kernel has none (before 5.14), SIGKILL to every pid listed, until none is. */
  async kill(): Promise<void> {
    try {
      await writeFile(`${this.path}/cgroup.kill`, '1');
      return;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' && !(await this.exists())) return;
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
    for (const pid of await this.procs()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }

  /** For the host's exit hook: cgroup.kill without waiting, never throws. */
  killSync(): void {
    try {
      // Synchronous on purpose: it runs in process.on('exit').
      writeFileSync(`${this.path}/cgroup.kill`, '1');
    } catch {
      for (const pid of this.procsSync()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
  }

  /**
   * Kills everything in the cgroup and waits until it is empty; the pids it
   * held. Throws CgroupError naming the survivors after `timeoutMs`.
   */
  async killAll(timeoutMs: number): Promise<number[]> {
    const before = await this.procs();
    if (before.length === 0 && !(await this.populated())) return [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.kill();
      await delay(POLL_MS);
      if (!(await this.populated())) return before;
      if (Date.now() > deadline) {
        throw new CgroupError(`${this.path} still holds ${(await this.procs()).join(', ') || 'processes'} ${timeoutMs} ms after cgroup.kill`);
      }
    }
  }

  /** Removes the cgroup and any cgroup a plugin made below it; gone already is fine. */
  async remove(): Promise<void> {
    let entries: string[];
    try {
      entries = await readdir(this.path, { withFileTypes: true }).then((all) => all.filter((e) => e.isDirectory()).map((e) => e.name));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      throw error;
    }
    for (const child of entries) await new CgroupDir(`${this.path}/${child}`).remove();
    // Right after the last process left, the kernel may still be releasing it: EBUSY for a moment.
    for (let attempt = 0; ; attempt++) {
      try {
        await rmdir(this.path);
        return;
      } catch (error) {
        const code = errnoCode(error);
        if (code === 'ENOENT') return;
        if (code !== 'EBUSY' || attempt >= 200) throw new CgroupError(`cannot remove ${this.path}: ${errorText(error)}`);
        await delay(POLL_MS);
      }
    }
  }

  /** memory.current when the memory controller is on here, else undefined. */
  async memoryCurrent(): Promise<number | undefined> {
    try {
      const value = Number((await readFile(`${this.path}/memory.current`, 'utf8')).trim());
      return Number.isSafeInteger(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }
}
