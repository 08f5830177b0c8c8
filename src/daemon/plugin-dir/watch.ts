// Watches the plugins directory. chokidar, because fs.watch alone reports
// renames and partial writes inconsistently across filesystems; with
// awaitWriteFinish a binary still being copied is not started half-written.
// An atomic replace (write a temporary file, rename it over the plugin, as
// `install` does) can arrive as unlink + add: a short hold turns that pair
// into one `changed`.
import { basename } from 'node:path';
import { watch } from 'chokidar';
import { isCandidateName } from './names.js';

export interface PluginDirHandlers {
  added(name: string, path: string): void;
  changed(name: string, path: string): void;
  removed(name: string): void;
  error(error: Error): void;
}

export interface PluginDirWatcher {
  close(): Promise<void>;
  /** Resolves once the initial scan of the watcher is done. */
  ready: Promise<void>;
}

const UNLINK_HOLD_MS = 150;

export function watchPluginDir(dir: string, handlers: PluginDirHandlers): PluginDirWatcher {
  const pendingRemovals = new Map<string, NodeJS.Timeout>();
  const watcher = watch(dir, {
    depth: 0,
    ignoreInitial: true,
    awaitWriteFinish: { stabilityThreshold: 150, pollInterval: 25 },
    ignored: (path: string) => path !== dir && !isCandidateName(basename(path)),
  });
  const name = (path: string) => basename(path);
  watcher.on('add', (path: string) => {
    const pending = pendingRemovals.get(name(path));
    if (pending !== undefined) {
      clearTimeout(pending);
      pendingRemovals.delete(name(path));
      handlers.changed(name(path), path);
    } else {
      handlers.added(name(path), path);
    }
  });
  watcher.on('change', (path: string) => handlers.changed(name(path), path));
  watcher.on('unlink', (path: string) => {
    const key = name(path);
    clearTimeout(pendingRemovals.get(key));
    pendingRemovals.set(
      key,
      setTimeout(() => {
        pendingRemovals.delete(key);
        handlers.removed(key);
      }, UNLINK_HOLD_MS),
    );
  });
  watcher.on('error', (error: unknown) => handlers.error(error instanceof Error ? error : new Error(String(error))));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    ready,
    async close() {
      for (const timer of pendingRemovals.values()) clearTimeout(timer);
      pendingRemovals.clear();
      await watcher.close();
    },
  };
}
