import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchPluginDir } from '../../src/daemon/plugin-dir/index.js';
import type { PluginDirWatcher } from '../../src/daemon/plugin-dir/index.js';

type Event = { kind: 'added' | 'changed'; name: string; path: string } | { kind: 'removed'; name: string } | { kind: 'error'; message: string };

/** Watcher events in order; next() fails the test when none comes in time. */
class EventQueue {
  readonly #events: Event[] = [];
  readonly #waiters: Array<(event: Event) => void> = [];

  push(event: Event): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(event);
    else this.#events.push(event);
  }

  next(timeoutMs = 5_000): Promise<Event> {
    const queued = this.#events.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const waiter = (event: Event) => {
        clearTimeout(timer);
        resolve(event);
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`no plugins-directory event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  get pending(): readonly Event[] {
    return this.#events;
  }
}

const V1 = '#!/bin/sh\necho v1\n';
const V2 = '#!/bin/sh\necho version two\n';
const V3 = '#!/bin/sh\necho the third version, longer\n';

describe('watchPluginDir on a real directory', () => {
  let dir = '';
  let watcher: PluginDirWatcher;
  const events = new EventQueue();
  const path = () => join(dir, 'aws');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snoozebot-watch-'));
    await writeFile(join(dir, 'existing'), V1);
    watcher = watchPluginDir(dir, {
      added: (name, p) => events.push({ kind: 'added', name, path: p }),
      changed: (name, p) => events.push({ kind: 'changed', name, path: p }),
      removed: (name) => events.push({ kind: 'removed', name }),
      error: (error) => events.push({ kind: 'error', message: error.message }),
    });
    await watcher.ready;
  });

  after(async () => {
    await watcher.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a new file as added, once it is completely written', async () => {
    await writeFile(path(), V1);
    assert.deepEqual(await events.next(), { kind: 'added', name: 'aws', path: path() });
    assert.equal(await readFile(path(), 'utf8'), V1);
  });

  it('reports an atomic replace (temp file renamed over) as changed, not removed + added', async () => {
    const temp = join(dir, '.aws.install-tmp');
    await writeFile(temp, V2);
    await chmod(temp, 0o755);
    await rename(temp, path());
    assert.deepEqual(await events.next(), { kind: 'changed', name: 'aws', path: path() });
  });

  it('reports an overwrite in place as changed', async () => {
    await writeFile(path(), V3);
    assert.deepEqual(await events.next(), { kind: 'changed', name: 'aws', path: path() });
  });

  it('reports a chmod of a file that has been read as changed (the fix for a refused plugin)', async () => {
    await readFile(path());
    await chmod(path(), 0o700);
    assert.deepEqual(await events.next(), { kind: 'changed', name: 'aws', path: path() });
  });

  it('reports changes to files that were there before watching as changed', async () => {
    await writeFile(join(dir, 'existing'), V2);
    assert.deepEqual(await events.next(), { kind: 'changed', name: 'existing', path: join(dir, 'existing') });
  });

  it('passes over hidden files, backup files and subdirectories', async () => {
    await writeFile(join(dir, '.hidden'), V1);
    await writeFile(join(dir, 'aws~'), V1);
    await writeFile(join(dir, 'aws.swp'), V1);
    await mkdir(join(dir, 'subdir'));
    await writeFile(join(dir, 'subdir', 'inner'), V1);
    // A plugin added after them: had they been reported, they would come first.
    await writeFile(join(dir, 'marker'), V1);
    assert.deepEqual(await events.next(), { kind: 'added', name: 'marker', path: join(dir, 'marker') });
  });

  it('reports a removed file as removed', async () => {
    await unlink(path());
    assert.deepEqual(await events.next(), { kind: 'removed', name: 'aws' });
    assert.deepEqual(events.pending, []);
  });
});
