import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateStore } from '../../src/daemon/state/index.js';
import type { NewPluginProcessRecord } from '../../src/daemon/state/index.js';

const AWS: NewPluginProcessRecord = { name: 'aws', pid: 4242, pgid: 4242, startTime: 123456, path: '/etc/snoozebot/plugins/aws', daemonPid: 77 };

describe('StateStore', () => {
  let stateDir = '';
  let store: StateStore;

  beforeEach(async () => {
    stateDir = join(await mkdtemp(join(tmpdir(), 'snoozebot-state-')), 'var-lib-snoozebot');
    store = new StateStore(stateDir);
  });

  afterEach(async () => {
    await rm(join(stateDir, '..'), { recursive: true, force: true });
  });

  it('lists nothing before anything was recorded, without creating the directory', async () => {
    assert.deepEqual(await store.list(), { records: [], corrupt: [] });
    await assert.rejects(stat(stateDir), { code: 'ENOENT' });
  });

  it('writes plugins/<name>.json with mode 0600 in 0700 directories, and lists it back', async () => {
    const written = await store.record(AWS);
    assert.match(written.recordedAt, /^\d{4}-\d\d-\d\dT/);
    const file = join(stateDir, 'plugins', 'aws.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(join(stateDir, 'plugins'))).mode & 0o777, 0o700);
    assert.equal((await stat(stateDir)).mode & 0o777, 0o700);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), written);
    assert.deepEqual(await store.list(), { records: [written], corrupt: [] });
  });

  it('replaces the record of a plugin and leaves no temporary file', async () => {
    await store.record(AWS);
    const second = await store.record({ ...AWS, pid: 5000, pgid: 5000, startTime: 999 });
    assert.deepEqual(await readdir(store.dir), ['aws.json']);
    assert.deepEqual((await store.list()).records, [second]);
  });

  it('forgets a record; forgetting a missing one is fine', async () => {
    await store.record(AWS);
    await store.record({ ...AWS, name: 'gcp' });
    await store.forget('aws');
    await store.forget('never-recorded');
    assert.deepEqual((await store.list()).records.map((r) => r.name), ['gcp']);
  });

  it('keeps the order of a record and a forget asked for back to back', async () => {
    const recorded = store.record(AWS);
    const forgotten = store.forget('aws');
    await Promise.all([recorded, forgotten]);
    assert.deepEqual((await store.list()).records, []);
  });

  it('refuses names that could leave the directory, and pids that would signal everything', async () => {
    await assert.rejects(store.record({ ...AWS, name: '../escape' }), /invalid plugin name/);
    await assert.rejects(store.forget('.hidden'), /invalid plugin name/);
    await assert.rejects(store.record({ ...AWS, pgid: 1 }), /"pgid" is 1/);
    await assert.rejects(store.record({ ...AWS, pid: 0 }), /"pid" is 0/);
    await assert.rejects(stat(join(stateDir, 'plugins', '..', 'escape.json')), { code: 'ENOENT' });
  });

  it('reports and removes corrupt files, keeps valid ones, and removes unfinished writes silently', async () => {
    const good = await store.record(AWS);
    const put = (file: string, text: string) => writeFile(join(store.dir, file), text);
    await put('broken.json', '{"name": "broken", "pid": ');
    await put('array.json', '[1, 2]');
    await put('wrongname.json', JSON.stringify({ ...good, name: 'other' }));
    await put('pgid1.json', JSON.stringify({ ...good, name: 'pgid1', pgid: 1 }));
    await put('oldtime.json', JSON.stringify({ ...good, name: 'oldtime', startTime: '123456' }));
    await put('gcp.json.123.abcd.tmp', '{"name": "gcp"');
    await put('README', 'not ours to judge');
    await mkdir(join(store.dir, 'adir.json'));

    const { records, corrupt } = await store.list();
    assert.deepEqual(records, [good]);
    const reasons = Object.fromEntries(corrupt.map((c) => [c.file.replace(/^.*\//, ''), c.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), ['adir.json', 'array.json', 'broken.json', 'oldtime.json', 'pgid1.json', 'wrongname.json']);
    assert.match(reasons['broken.json'] ?? '', /not valid JSON/);
    assert.match(reasons['array.json'] ?? '', /not a JSON object/);
    assert.match(reasons['wrongname.json'] ?? '', /"name" is "other"/);
    assert.match(reasons['pgid1.json'] ?? '', /"pgid" is 1/);
    assert.match(reasons['oldtime.json'] ?? '', /"startTime"/);
    assert.match(reasons['adir.json'] ?? '', /unreadable/);
    assert.deepEqual((await readdir(store.dir)).sort(), ['README', 'aws.json']);
    assert.deepEqual(await store.list(), { records: [good], corrupt: [] });
  });
});
