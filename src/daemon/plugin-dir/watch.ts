// Watches the plugins directory and reports plugins added, changed and removed.
//
// chokidar rather than bare fs.watch: fs.watch hands out raw "rename"/"change"
// events with no file state, duplicates them, and differs between kernels and
// filesystems; chokidar is the maintained library that turns them into
// add/change/unlink, waits for writes to settle (awaitWriteFinish, so a binary
// still being copied is not started half-written) and folds an editor's or
// `install`'s unlink + re-create into one change.
//
// On top of chokidar:
// - unlink followed by add of the same name is still one `changed` when the
//   new file arrives later than chokidar's own 100 ms fold: a removal is only
//   reported once the name has stayed gone for a short hold;
// - a chmod/chown is reported as `changed`: chokidar drops change events that
//   leave mtime alone once the file has been read (atime > mtime), but the fix
//   for a refused plugin is often just `chmod 755`, and the daemon must see it;
// - duplicate events that leave the file exactly as it was are dropped, so one
//   replace restarts a plugin once.
import type { BigIntStats } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { watch } from 'chokidar';
import { entryKind } from './entry-kind.js';
import { PluginDirError, pluginDirError } from './errors.js';
import { isIgnoredName } from './names.js';

export interface PluginDirHandlers {
  added(name: string, path: string): void;
  changed(name: string, path: string): void;
  removed(name: string): void;
  error(error: Error): void;
}

export interface PluginDirWatcher {
  /** Resolves once the directory is being watched; changes made before may be missed. */
  readonly ready: Promise<void>;
  /** Stops watching; removals still on hold are dropped. */
  close(): Promise<void>;
}

export interface WatchOptions {
  /** How long a file's size must stay put before it counts as written. */
  readonly stabilityMs?: number;
  /** How long a name must stay gone before it counts as removed. */
  readonly removalHoldMs?: number;
}

const DEFAULT_STABILITY_MS = 150;
const DEFAULT_REMOVAL_HOLD_MS = 150;

/** What identifies one version of a file, for telling real changes from echoes. */
interface Signature {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly mode: bigint;
  readonly uid: bigint;
  readonly gid: bigint;
}

function signatureOf(stats: BigIntStats): Signature {
  const { dev, ino, size, mtimeNs, mode, uid, gid } = stats;
  return { dev, ino, size, mtimeNs, mode, uid, gid };
}

function sameContent(a: Signature, b: Signature): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

function sameAccess(a: Signature, b: Signature): boolean {
  return a.mode === b.mode && a.uid === b.uid && a.gid === b.gid;
}

async function signature(path: string): Promise<Signature | undefined> {
  try {
    return signatureOf(await lstat(path, { bigint: true }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export function watchPluginDir(dir: string, handlers: PluginDirHandlers, options: WatchOptions = {}): PluginDirWatcher {
  const root = resolve(dir);
  const holdMs = options.removalHoldMs ?? DEFAULT_REMOVAL_HOLD_MS;
  const stabilityMs = options.stabilityMs ?? DEFAULT_STABILITY_MS;
  /** Names the daemon knows as present (found at start or reported since), with their last seen state. */
  const known = new Map<string, Signature>();
  const pendingRemovals = new Map<string, NodeJS.Timeout>();
  /** Per-name chains: the awaits inside a handler must not let a later event overtake an earlier one. */
  const queues = new Map<string, Promise<void>>();
  let closed = false;

  const report = (error: unknown) => {
    if (!closed) handlers.error(asError(error));
  };
  // Work queued before close() may finish after it; the caller is done listening by then.
  const emit = {
    added(name: string, path: string) {
      if (!closed) handlers.added(name, path);
    },
    changed(name: string, path: string) {
      if (!closed) handlers.changed(name, path);
    },
    removed(name: string) {
      if (!closed) handlers.removed(name);
    },
  };

  const nameOf = (path: string): string | undefined => {
    const name = basename(path);
    return dirname(path) === root && !isIgnoredName(name) ? name : undefined;
  };

  const watcher = watch(root, {
    depth: 0,
    ignoreInitial: true,
    // A symlink is a plugin entry like any file; following it would watch
    // (and report) whatever directory or file it points to instead.
    followSymlinks: false,
    awaitWriteFinish: { stabilityThreshold: stabilityMs, pollInterval: 25 },
    ignored: (path: string) => resolve(path) !== root && nameOf(resolve(path)) === undefined,
  });

  // Names chokidar found at start: they were reported by the daemon's scan,
  // so a later add of one of them is a change.
  const seeded = new Promise<void>((resolveSeed) => {
    watcher.once('ready', () => {
      void (async () => {
        try {
          await stat(root);
        } catch (error) {
          report(pluginDirError(dir, error));
        }
        const names = watcher.getWatched()[root] ?? [];
        await Promise.all(
          names.map(async (name) => {
            const path = join(root, name);
            if (nameOf(path) === undefined || (await entryKind(path)) !== 'candidate') return;
            const sig = await signature(path).catch(() => undefined);
            if (sig !== undefined) known.set(name, sig);
          }),
        );
      })().finally(resolveSeed);
    });
  });

  const enqueue = (name: string, work: () => Promise<void>) => {
    const previous = queues.get(name) ?? seeded;
    const next = previous
      .then(() => (closed ? undefined : work()))
      .catch(report)
      .finally(() => {
        if (queues.get(name) === next) queues.delete(name);
      });
    queues.set(name, next);
  };

  const cancelRemoval = (name: string) => {
    const timer = pendingRemovals.get(name);
    if (timer !== undefined) clearTimeout(timer);
    pendingRemovals.delete(name);
  };

  const onAddOrChange = (event: 'add' | 'change') => (rawPath: string) => {
    const path = resolve(rawPath);
    const name = nameOf(path);
    if (name === undefined) return;
    enqueue(name, async () => {
      if ((await entryKind(path)) !== 'candidate') return;
      const sig = await signature(path);
      // Gone again: chokidar's unlink follows.
      if (sig === undefined) return;
      cancelRemoval(name);
      const previous = known.get(name);
      if (previous !== undefined && sameContent(previous, sig) && sameAccess(previous, sig)) return;
      known.set(name, sig);
      if (previous === undefined && event === 'add') emit.added(name, path);
      else emit.changed(name, path);
    });
  };

  watcher.on('add', onAddOrChange('add'));
  watcher.on('change', onAddOrChange('change'));

  watcher.on('unlink', (rawPath: string) => {
    const path = resolve(rawPath);
    const name = nameOf(path);
    if (name === undefined || !known.has(name)) return;
    cancelRemoval(name);
    pendingRemovals.set(
      name,
      setTimeout(() => {
        pendingRemovals.delete(name);
        enqueue(name, async () => {
          // Back already: a replacement whose add (after awaitWriteFinish) will be a `changed`.
          if ((await entryKind(path)) === 'candidate') return;
          if (!known.delete(name)) return;
          emit.removed(name);
        });
      }, holdMs),
    );
  });

  // Metadata-only changes (chmod, chown): see the top of the file.
  watcher.on('raw', (_event, rawPath, details) => {
    const watchedPath = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
    const watched = typeof watchedPath === 'string' ? resolve(watchedPath) : undefined;
    const path = watched === root ? join(root, basename(rawPath)) : watched;
    const name = path === undefined ? undefined : nameOf(path);
    if (path === undefined || name === undefined || !known.has(name) || pendingRemovals.has(name)) return;
    enqueue(name, async () => {
      const previous = known.get(name);
      const sig = await signature(path);
      if (previous === undefined || sig === undefined) return;
      // Another inode under the name: a file renamed over it (how binaries are
      // installed). chokidar drops that change when the new file has the old
      // one's mtime and has been read since (atime > mtime, its test for "only
      // read"), so it is reported here, once the file has held still as long
      // as chokidar would wait for a write to finish.
      if (previous.ino !== sig.ino || previous.dev !== sig.dev) {
        await delay(stabilityMs);
        const settled = await signature(path);
        // Still being written (chokidar reports it when done) or gone again (its unlink follows).
        if (settled === undefined || !sameContent(settled, sig)) return;
      } else if (!sameContent(previous, sig) || sameAccess(previous, sig)) {
        // Other content changes are chokidar's to report, after the write settles.
        return;
      }
      known.set(name, sig);
      emit.changed(name, path);
    });
  });

  watcher.on('unlinkDir', (rawPath: string) => {
    if (resolve(rawPath) !== root) return;
    report(
      new PluginDirError(
        'PLUGINS_DIR_REMOVED',
        dir,
        `plugins directory ${dir} was removed; recreate it (mkdir -p ${dir} && chmod 755 ${dir}) and restart the daemon`,
      ),
    );
  });

  watcher.on('error', report);

  return {
    ready: seeded,
    async close() {
      closed = true;
      for (const timer of pendingRemovals.values()) clearTimeout(timer);
      pendingRemovals.clear();
      await watcher.close();
      await Promise.all(queues.values());
    },
  };
}
