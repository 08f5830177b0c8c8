// A real daemon whose plugins misbehave: killed, hung, crashing in a loop.
// Health checks and backoffs are shortened by the helper's config.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InstanceRecord, PluginStatus } from '../../src/daemon/types.js';
import { DaemonDir } from '../helpers/daemon.js';
import { assertGroupGone, assertPidGone } from '../helpers/leftovers.js';
import { LOCAL_PLUGIN, shFixture } from '../helpers/paths.js';

test('kill -9 of a serving plugin: serving again with a new pid, restarts 1, lastError names SIGKILL', async (t) => {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('local', LOCAL_PLUGIN);
  const daemon = await dir.start();
  const first = await daemon.waitServing('local');
  assert.ok(first.pid !== null);
  assert.equal(first.restarts, 0);

  process.kill(first.pid, 'SIGKILL');
  const again = await daemon.waitServing('local', { notPid: first.pid });
  assert.equal(again.restarts, 1);
  assert.match(again.lastError ?? '', /SIGKILL/);
  await assertPidGone(first.pid);
  await assertGroupGone(first.pid);

  const logged = await daemon.waitForTransition('local', 'serving', 'restart 1 after a crash');
  const reasons = logged.map((tr) => `${tr.from}→${tr.to} (${tr.reason})`);
  assert.ok(reasons.includes('serving→crashed (process killed by SIGKILL)'), JSON.stringify(reasons));
  // The crash line names the process, so a log reader can tie it to the pid that was killed.
  const crash = daemon.logs.find((l) => l.plugin === 'local' && l.to === 'crashed');
  assert.equal(crash?.pluginPid, first.pid);
  assert.equal(crash?.exitSignal, 'SIGKILL');
  assert.ok(reasons.some((r) => r.startsWith('crashed→backoff (')), JSON.stringify(reasons));
  assert.ok(reasons.includes('backoff→starting (restart 1 after a crash)'), JSON.stringify(reasons));
  assert.ok(reasons.includes('starting→serving (restart 1 after a crash)'), JSON.stringify(reasons));

  // And it answers.
  const info = await daemon.cliJson<InstanceRecord>('instance', 'info');
  assert.equal(info.state, 'running');
  const listed = await daemon.listCli();
  assert.equal(listed[0]?.pid, again.pid);
  assert.equal(listed[0]?.restarts, 1);
});

test('a hung plugin (SIGSTOP) is found unresponsive by its health checks, killed and restarted', async (t) => {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('local', LOCAL_PLUGIN);
  const daemon = await dir.start();
  const first = await daemon.waitServing('local');
  assert.ok(first.pid !== null);

  const mark = daemon.logs.length;
  process.kill(first.pid, 'SIGSTOP');
  const again = await daemon.waitServing('local', { notPid: first.pid });
  assert.equal(again.restarts, 1);
  assert.match(again.lastError ?? '', /^unresponsive: 3 health checks failed/);
  // The stopped process cannot exit by itself: the daemon killed its group.
  await assertPidGone(first.pid);
  await assertGroupGone(first.pid);

  const crashed = (await daemon.waitForTransition('local', 'crashed')).find((tr) => tr.to === 'crashed');
  const misses = daemon.logs.slice(mark).filter((l) => l.plugin === 'local' && l.msg === 'plugin health check failed');
  assert.deepEqual(
    misses.map((l) => l.misses),
    [1, 2],
    'the first two misses are logged as warnings, the third one restarts',
  );
  assert.ok(crashed, 'no crashed transition logged');
  assert.match(crashed.reason, /^unresponsive: 3 health checks failed/);
});

test('a plugin that always exits early ends up failed with the reason; the others keep serving', async (t) => {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('good', LOCAL_PLUGIN);
  await dir.addPlugin('crashy', shFixture('exit-early'));
  const daemon = await dir.start();

  const failed = await daemon.waitForPlugin('crashy', (p) => p.state === 'failed', { what: 'failed' });
  assert.equal(failed.pid, null);

  const info = await daemon.cliJson<PluginStatus>('plugins', 'info', 'crashy');
  assert.equal(info.state, 'failed');
  assert.match(info.reason, /^crashed 4 times within 60 s; last: failed to start: /);
  assert.match(info.lastError ?? '', /code 3/);
  assert.match(info.lastError ?? '', /exit-early fixture: cannot read \/nonexistent\/credentials/);
  assert.equal(info.restarts, 3);

  // Each crash and each restart is logged with its reason; then it is left alone.
  const transitions = await daemon.waitForTransition('crashy', 'failed');
  assert.equal(transitions.filter((tr) => tr.to === 'crashed').length, 4, JSON.stringify(transitions));
  assert.equal(transitions.filter((tr) => tr.to === 'starting').length, 4, JSON.stringify(transitions));
  assert.equal(transitions.at(-1)?.to, 'failed');
  assert.equal(transitions.at(-1)?.reason, info.reason);

  // The text form names the state and the reason.
  const text = await daemon.cli('plugins', 'info', 'crashy');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /failed/);
  assert.match(text.stdout, /crashed 4 times/);

  // Asking it for something says why not.
  const call = await daemon.cli('instance', 'info', '--plugin', 'crashy');
  assert.equal(call.code, 1, call.stderr);
  assert.match(call.stderr, /crashed 4 times/);

  const status = await daemon.cliJson<{ plugins: { total: number; serving: number; failed: number } }>('status');
  assert.deepEqual(status.plugins, { total: 2, serving: 1, failed: 1 });
  const good = (await daemon.list()).find((p) => p.name === 'good');
  assert.equal(good?.state, 'serving');
  assert.equal(good?.restarts, 0);
  const instance = await daemon.cliJson<InstanceRecord>('instance', 'info', '--plugin', 'good');
  assert.equal(instance.region, 'local');
  // A failed plugin is still wanted: the default does not silently move to the other one.
  const byDefault = await daemon.cli('instance', 'info');
  assert.equal(byDefault.code, 1);
  assert.match(byDefault.stderr, /several plugins \(crashy, good\): name one with --plugin, or set "defaultProvider"/);
});
