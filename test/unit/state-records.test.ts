import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { chmod, symlink } from 'node:fs/promises';
import { StateDirError, StateStore } from '../../src/daemon/state/index.js';
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
    assert.deepEqual(await store.list(), { records: [], corrupt: [], skipped: [] });
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
    assert.deepEqual(await store.list(), { records: [written], corrupt: [], skipped: [] });
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
    await put('othergroup.json', JSON.stringify({ ...good, name: 'othergroup', pgid: 999 }));
    await put('oldtime.json', JSON.stringify({ ...good, name: 'oldtime', startTime: '123456' }));
    await put('gcp.json.123.abcd.tmp', '{"name": "gcp"');
    await put('README', 'not ours to judge');
    await mkdir(join(store.dir, 'adir.json'));

    const { records, corrupt } = await store.list();
    assert.deepEqual(records, [good]);
    const reasons = Object.fromEntries(corrupt.map((c) => [c.file.replace(/^.*\//, ''), c.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), ['array.json', 'broken.json', 'oldtime.json', 'othergroup.json', 'pgid1.json', 'wrongname.json']);
    assert.match(reasons['broken.json'] ?? '', /not valid JSON/);
    assert.match(reasons['array.json'] ?? '', /not a JSON object/);
    assert.match(reasons['wrongname.json'] ?? '', /"name" is "other"/);
    assert.match(reasons['pgid1.json'] ?? '', /"pgid" is 1/);
    assert.match(reasons['oldtime.json'] ?? '', /"startTime"/);
    assert.match(reasons['othergroup.json'] ?? '', /"pgid" is 999, not the plugin's own pid 4242/);
    assert.deepEqual((await readdir(store.dir)).sort(), ['README', 'adir.json', 'aws.json']);
    assert.deepEqual(await store.list(), { records: [good], corrupt: [], skipped: [{ file: join(store.dir, 'adir.json'), reason: 'a directory, not a record the daemon wrote; remove it' }] });
  });

  it('skips a FIFO (and a symlink) with a reason instead of hanging on it or following it', async () => {
    await store.record(AWS);
    execFileSync('mkfifo', [join(store.dir, 'gcp.json')]);
    await symlink('/etc/passwd', join(store.dir, 'azure.json'));
    const listed = await store.list();
    assert.deepEqual(listed.records.map((r) => r.name), ['aws']);
    assert.deepEqual(listed.skipped, [
      { file: join(store.dir, 'azure.json'), reason: 'a symlink, not a record the daemon wrote; remove it' },
      { file: join(store.dir, 'gcp.json'), reason: 'a FIFO, not a record the daemon wrote; remove it' },
    ]);
  });

  it('refuses records in a state directory others may write, or another user owns, with a StateDirError', async () => {
    await store.record(AWS);
    await chmod(stateDir, 0o777);
    await assert.rejects(store.list(), (error: unknown) => {
      assert.ok(error instanceof StateDirError);
      assert.equal(error.code, 'STATE_DIR_UNSAFE');
      assert.equal(
        error.message,
        `refusing the plugin records in state directory ${stateDir}: ${stateDir} is writable by every user (mode 0777), so others could plant records that make the daemon kill processes; chmod 700 ${stateDir}`,
      );
      return true;
    });
    await chmod(stateDir, 0o700);
    await chmod(store.dir, 0o770);
    const uid = process.getuid?.() ?? 0;
    if (uid === 0) {
      const { chown } = await import('node:fs/promises');
      await chown(store.dir, 0, 4242);
      await assert.rejects(store.list(), /plugins is writable by its group \(gid 4242\) \(mode 0770\)/);
      await chown(store.dir, 0, 0);
      assert.deepEqual((await store.list()).records.map((r) => r.name), ['aws'], "group-writable by root's group is fine");
      await chown(stateDir, 4242, 0);
      await assert.rejects(store.list(), /is owned by uid 4242, not by the daemon's user \(uid 0\)/);
    }
  });
});
