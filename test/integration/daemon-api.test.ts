// A real `snoozebot daemon` process driven through the real CLI and raw HTTP:
// the local plugin end to end, unload/load/restart, bad requests, the default
// provider, and a bad config file.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { InstanceRecord, PluginStatus } from '../../src/daemon/types.js';
import { VERSION } from '../../src/version.js';
import { DaemonDir, httpRequest, runCli } from '../helpers/daemon.js';
import { assertGroupGone, assertPidGone } from '../helpers/leftovers.js';
import { LOCAL_PLUGIN } from '../helpers/paths.js';

const INSTANCE_KEYS = ['id', 'launchTime', 'name', 'region', 'state', 'type', 'zone'];

test('the local plugin: listed serving, instance info, a dry-run stop, every transition logged', async (t) => {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('local', LOCAL_PLUGIN);
  const daemon = await dir.start();

  const serving = await daemon.waitServing('local');
  const list = await daemon.listCli();
  assert.equal(list.length, 1);
  const [local] = list;
  assert.ok(local);
  assert.equal(local.name, 'local');
  assert.equal(local.state, 'serving');
  assert.equal(local.pid, serving.pid);
  assert.ok(Number.isInteger(local.pid) && (local.pid ?? 0) > 1, `pid: ${local.pid}`);
  assert.equal(local.restarts, 0);
  assert.equal(local.lastError, null);
  assert.deepEqual(local.provider, { name: 'local', version: VERSION });
  assert.equal(local.path, dir.pluginPath('local'));

  // Every transition so far is in the log, each with a reason.
  const transitions = await daemon.waitForTransition('local', 'serving');
  assert.deepEqual(
    transitions.map((tr) => `${tr.from}→${tr.to}`),
    ['discovered→starting', 'starting→serving'],
  );
  for (const tr of transitions) assert.ok(tr.reason !== '' && tr.reason !== 'undefined', `no reason: ${JSON.stringify(tr)}`);

  const status = await daemon.cliJson<{ dryRun: boolean; defaultProvider: string | null; plugins: { total: number; serving: number } }>('status');
  assert.equal(status.dryRun, true);
  assert.equal(status.defaultProvider, 'local');
  assert.deepEqual(status.plugins, { total: 1, serving: 1, failed: 0 });

  const info = await daemon.cliJson<InstanceRecord>('instance', 'info');
  assert.deepEqual(Object.keys(info).sort(), INSTANCE_KEYS);
  for (const key of ['id', 'name', 'type', 'region', 'zone', 'state'] as const) assert.equal(typeof info[key], 'string', key);
  assert.ok(info.id !== '', 'empty instance id');
  assert.equal(info.region, 'local');
  assert.equal(info.state, 'running');
  if (info.launchTime !== null) assert.equal(new Date(info.launchTime).toISOString(), info.launchTime);

  // Dry run: the daemon itself keeps StopInstance from the plugin.
  const stop = await daemon.cli('instance', 'stop', '--yes');
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /^dry run: would stop the instance through plugin local; nothing was sent to it/);
  const after = await daemon.cliJson<InstanceRecord>('instance', 'info');
  assert.equal(after.state, 'running');
  assert.equal(after.id, info.id);
  // The plugin was asked, not restarted.
  const [still] = await daemon.list();
  assert.equal(still?.pid, serving.pid);
  assert.equal(still?.restarts, 0);
});

test('plugins unload, load and restart through the CLI', async (t) => {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('local', LOCAL_PLUGIN);
  const daemon = await dir.start();
  const first = await daemon.waitServing('local');
  assert.ok(first.pid !== null);

  const unloaded = await daemon.cliJson<PluginStatus>('plugins', 'unload', 'local');
  assert.equal(unloaded.state, 'stopped');
  assert.equal(unloaded.wanted, 'unloaded');
  assert.equal(unloaded.pid, null);
  assert.equal(unloaded.reason, 'unloaded by request');
  await assertPidGone(first.pid);
  await assertGroupGone(first.pid);
  const info = await daemon.cliJson<PluginStatus>('plugins', 'info', 'local');
  assert.equal(info.state, 'stopped');
  assert.equal(info.wanted, 'unloaded');
  // Unloaded means unloaded: it is not restarted behind the user's back.
  assert.equal(info.restarts, 0);

  const loaded = await daemon.cliJson<PluginStatus>('plugins', 'load', 'local');
  assert.equal(loaded.state, 'serving');
  assert.ok(loaded.pid !== null && loaded.pid !== first.pid, `pid after load: ${loaded.pid}`);
  assert.deepEqual(loaded.provider, { name: 'local', version: VERSION });

  const restarted = await daemon.cliJson<PluginStatus>('plugins', 'restart', 'local');
  assert.equal(restarted.state, 'serving');
  assert.ok(restarted.pid !== null && restarted.pid !== loaded.pid, `pid after restart: ${restarted.pid}`);
  await assertPidGone(loaded.pid);

  // The text form says what happened.
  const text = await daemon.cli('plugins', 'unload', 'local');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /local: unloaded; wanted unloaded, now stopped \(unloaded by request\)/);
  await assertPidGone(restarted.pid);

  const logged = await daemon.waitForTransitions('local', (trs) => trs.filter((tr) => tr.to === 'stopped' && tr.reason === 'unloaded by request').length === 2, {
    what: 'two unloads',
  });
  const reasons = logged.map((tr) => `${tr.to} (${tr.reason})`);
  for (const expected of ['stopped (unloaded by request)', 'serving (loaded by request)', 'stopping (restarted by request)', 'serving (restarted by request)']) {
    assert.ok(reasons.includes(expected), `no transition ${expected} in ${JSON.stringify(reasons)}`);
  }
});

test('bad requests to the real daemon are refused and change nothing', async (t) => {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('alpha', LOCAL_PLUGIN);
  await dir.addPlugin('beta', LOCAL_PLUGIN);
  const daemon = await dir.start();
  await daemon.waitFor((ps) => ps.length === 2 && ps.every((p) => p.state === 'serving'), { what: 'alpha and beta serving' });
  const before = await daemon.list();

  const invalid = await daemon.cli('plugins', 'info', '../x');
  assert.equal(invalid.code, 1, invalid.stderr);
  assert.match(invalid.stderr, /invalid plugin name/i);
  assert.equal(invalid.stdout, '');

  const unknown = await daemon.cli('plugins', 'info', 'nope');
  assert.equal(unknown.code, 1, unknown.stderr);
  assert.match(unknown.stderr, /no plugin named "nope"/);
  assert.match(unknown.stderr, /known: alpha, beta/);

  const unknownLoad = await daemon.cli('plugins', 'load', 'nope');
  assert.equal(unknownLoad.code, 1, unknownLoad.stderr);
  assert.match(unknownLoad.stderr, /no plugin named "nope"/);

  const badJson = await httpRequest(daemon.socket, 'POST', '/v1/plugins/alpha/restart', {
    headers: { 'content-type': 'application/json' },
    body: '{"oops": ',
  });
  assert.equal(badJson.status, 400, badJson.body);
  assert.equal((JSON.parse(badJson.body) as { error: { code: string } }).error.code, 'BAD_JSON');

  // A stop whose body is broken must not stop anything.
  const badStop = await httpRequest(daemon.socket, 'POST', '/v1/instance/stop', {
    headers: { 'content-type': 'application/json' },
    body: '{"plugin": "alpha"',
  });
  assert.equal(badStop.status, 400, badStop.body);

  const unknownField = await httpRequest(daemon.socket, 'POST', '/v1/instance/stop', {
    headers: { 'content-type': 'application/json' },
    body: '{"plugin": "alpha", "force": true}',
  });
  assert.equal(unknownField.status, 400, unknownField.body);
  assert.equal((JSON.parse(unknownField.body) as { error: { code: string } }).error.code, 'BODY_INVALID');

  const traversal = await httpRequest(daemon.socket, 'GET', '/v1/plugins/..%2Falpha');
  assert.equal(traversal.status, 400, traversal.body);

  // Nothing changed: same processes, no restarts, the instance still running.
  const after = await daemon.list();
  assert.deepEqual(
    after.map((p) => ({ name: p.name, state: p.state, pid: p.pid, restarts: p.restarts })),
    before.map((p) => ({ name: p.name, state: p.state, pid: p.pid, restarts: p.restarts })),
  );
  const instance = await daemon.cliJson<InstanceRecord>('instance', 'info', '--plugin', 'alpha');
  assert.equal(instance.state, 'running');
  assert.ok(daemon.exitInfo === undefined, 'the daemon exited');
});

test('two plugins and no default provider: instance info names both and --plugin', async (t) => {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('alpha', LOCAL_PLUGIN);
  await dir.addPlugin('beta', LOCAL_PLUGIN);
  const daemon = await dir.start();
  await daemon.waitFor((ps) => ps.length === 2 && ps.every((p) => p.state === 'serving'), { what: 'alpha and beta serving' });

  const r = await daemon.cli('instance', 'info');
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /alpha/);
  assert.match(r.stderr, /beta/);
  assert.match(r.stderr, /--plugin/);

  const status = await daemon.cliJson<{ defaultProvider: string | null }>('status');
  assert.equal(status.defaultProvider, null);

  // Naming one works.
  const info = await daemon.cliJson<InstanceRecord>('instance', 'info', '--plugin', 'beta');
  assert.equal(info.region, 'local');
});

test('a config file with a misspelt key: exit 1 with file:line:col, no socket left', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'sbc-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const plugins = join(root, 'plugins');
  await mkdir(plugins, { mode: 0o755 });
  const config = join(root, 'config.json');
  const socket = join(root, 'api.sock');
  // Line 3, column 5: the misspelt key.
  await writeFile(config, '{\n  "defaults": {\n    "helth": { "intervalMs": 200 }\n  }\n}\n');

  const r = await runCli(['daemon', '--config', config, '--plugins-dir', plugins, '--socket', socket, '--state-dir', join(root, 'state'), '--dry-run']);
  assert.equal(r.code, 1, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.ok(r.stderr.includes(`${config}:3:5:`), r.stderr);
  assert.match(r.stderr, /helth/);
  assert.match(r.stderr, /did you mean "health"/);
  assert.equal(existsSync(socket), false, 'the socket was created');
  assert.equal(existsSync(join(root, 'state')), false, 'the state directory was created');
});
