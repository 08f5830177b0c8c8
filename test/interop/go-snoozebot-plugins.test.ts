// Plugins of the Go snoozebot load unchanged (issue 13): Go binaries built on
// go-plugin 1.0.1 the way the Go snoozebot's plugin guide builds them
// (goguide: no GetAPIVersion, API 0.1.0), the way its first builds did
// (golegacy: flat GetInstanceInfoResponse, no ListInstances), and a go-plugin
// plugin of another application (gootherapp, cookie BASIC_PLUGIN=hello),
// each through `plugins check`, a real daemon and the CLI.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnosis } from '../../src/host/diagnose.js';
import type { InstanceRecord, PluginStatus } from '../../src/daemon/types.js';
import { DaemonDir, FAST_CONFIG, httpRequest, mergeConfig } from '../helpers/daemon.js';
import { goRequired } from '../helpers/go.js';
import { pluginsCheck } from '../helpers/plugins-check.js';
import { buildGoInterop } from './go-build.js';

const UNVERSIONED = 'unversioned (plugin does not implement GetAPIVersion)';
const LEGACY_LAYOUT =
  'speaks the older flat GetInstanceInfoResponse of the Go snoozebot (before API 0.1.0); its answers are read in that layout; rebuild it against the current proto';
const FOREIGN =
  'this is a go-plugin plugin for another application (it asks for a different magic cookie); it is not a snoozebot plugin';

const check = (path: string) => pluginsCheck(path);

function step(diagnosis: Diagnosis, name: string) {
  const found = diagnosis.steps.find((s) => s.step === name);
  assert.ok(found, `no step ${name}: ${JSON.stringify(diagnosis.steps)}`);
  return found;
}

test('plugins check: a plugin built like the Go snoozebot guide passes, unversioned', async (t) => {
  const build = await buildGoInterop();
  if (!goRequired(t, build)) return;
  const { exitCode, diagnosis } = await check(build.guide);
  assert.equal(exitCode, 0, JSON.stringify(diagnosis, null, 2));
  assert.equal(diagnosis.ok, true);
  assert.equal(step(diagnosis, 'cookie').warning, undefined, "go-plugin refuses to run without the cookie, with its notice");
  assert.match(step(diagnosis, 'cookie').detail, /refuses to run without SNOOZEBOT_PLUGIN \(exit 1, go-plugin's notice\)/);
  assert.equal(step(diagnosis, 'provider').detail, 'go-guide 0.1.0');
  const api = step(diagnosis, 'api version');
  assert.equal(api.ok, true);
  assert.equal(api.warning, true);
  assert.match(api.detail, new RegExp(`^${UNVERSIONED.replace(/[()]/g, '\\$&')}; it loads`));
  assert.equal(step(diagnosis, 'instance info').detail, 'i-0go0guide go-guide (guide.small) local-1/local-1a running');
  assert.equal(step(diagnosis, 'list instances').detail, '2 instances');
  assert.match(step(diagnosis, 'stop').detail, /exited with code 0/);
});

test('plugins check: a flat-response plugin of the first Go builds passes, with what it lacks named', async (t) => {
  const build = await buildGoInterop();
  if (!goRequired(t, build)) return;
  const { exitCode, diagnosis } = await check(build.legacy);
  assert.equal(exitCode, 0, JSON.stringify(diagnosis, null, 2));
  const info = step(diagnosis, 'instance info');
  assert.equal(info.warning, true);
  // The file's own name in the messages, not a placeholder.
  assert.equal(info.detail, `i-0go0legacy go-legacy (legacy.small) local-1/local-1a running; plugin golegacy ${LEGACY_LAYOUT}`);
  const list = step(diagnosis, 'list instances');
  assert.equal(list.warning, true);
  assert.match(list.detail, /^plugin golegacy does not implement ListInstances \(older builds lack it\): `instance list` answers PLUGIN_UNSUPPORTED$/);
  assert.equal(step(diagnosis, 'api version').warning, true);
});

test("plugins check: another application's go-plugin plugin fails at the cookie, named as such", async (t) => {
  const build = await buildGoInterop();
  if (!goRequired(t, build)) return;
  const { exitCode, diagnosis } = await check(build.otherApp);
  assert.equal(exitCode, 1, JSON.stringify(diagnosis, null, 2));
  assert.equal(diagnosis.ok, false);
  assert.equal(diagnosis.error?.code, 'PLUGIN_FOREIGN');
  assert.ok(diagnosis.error?.message.startsWith(`plugin gootherapp: ${FOREIGN}`), diagnosis.error?.message);
  // No false pass at the cookie step: it is the failing one, and the only one.
  assert.deepEqual(
    diagnosis.steps.map((s) => [s.step, s.ok]),
    [['cookie', false]],
  );
});

test('the daemon serves Go snoozebot plugins, refuses another application\'s, and answers through the CLI', async (t) => {
  const build = await buildGoInterop();
  if (!goRequired(t, build)) return;
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('guide', build.guide);
  await dir.addPlugin('legacy', build.legacy);
  await dir.addPlugin('kv', build.otherApp);
  const daemon = await dir.start({ config: mergeConfig(FAST_CONFIG, { plugins: { guide: { autoMtls: true } } }) });

  // The guide's plugin: unversioned, serving, over AutoMTLS.
  const guide = await daemon.waitServing('guide');
  assert.equal(guide.apiVersion, null);
  assert.equal(guide.api, UNVERSIONED);
  assert.equal(guide.tls, true);
  assert.deepEqual(guide.provider, { name: 'go-guide', version: '0.1.0' });
  const info = await daemon.cli('plugins', 'info', 'guide');
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /^api:\s+unversioned \(plugin does not implement GetAPIVersion\)$/m);
  assert.match(info.stdout, /^tls:\s+on \(AutoMTLS\)$/m);
  const instance = await daemon.cliJson<InstanceRecord>('instance', 'info', '--plugin', 'guide');
  assert.deepEqual(instance, {
    id: 'i-0go0guide',
    name: 'go-guide',
    type: 'guide.small',
    region: 'local-1',
    zone: 'local-1a',
    state: 'running',
    launchTime: '2024-01-02T03:04:05.000Z',
  });
  const listed = await daemon.cliJson<InstanceRecord[]>('instance', 'list', '--plugin', 'guide');
  assert.deepEqual(listed.map((i) => `${i.id} ${i.state}`), ['i-0go0guide running', 'i-0go0guide2 stopped']);
  // The log says it once, not at every call.
  const said = daemon.logs.filter((l) => l.plugin === 'guide' && l.msg.includes(UNVERSIONED));
  assert.equal(said.length, 1, JSON.stringify(said));

  // The legacy plugin: serving; its flat answer read; ListInstances a clear 501, no crash, no restart.
  const legacy = await daemon.waitServing('legacy');
  assert.equal(legacy.api, UNVERSIONED);
  assert.equal(legacy.tls, false);
  const text = await daemon.cli('plugins', 'info', 'legacy');
  assert.match(text.stdout, /^tls:\s+off$/m);
  const flat = await daemon.cliJson<InstanceRecord>('instance', 'info', '--plugin', 'legacy');
  assert.equal(flat.id, 'i-0go0legacy');
  assert.equal(flat.state, 'running');
  assert.equal(flat.launchTime, '2024-01-02T03:04:05.000Z');
  await daemon.waitForLog((l) => l.plugin === 'legacy' && l.msg === `plugin legacy ${LEGACY_LAYOUT}`, { what: 'the legacy layout warning' });
  const list = await daemon.cli('instance', 'list', '--plugin', 'legacy');
  assert.equal(list.code, 1, list.stdout);
  assert.match(list.stderr, /^error: plugin legacy does not implement ListInstances/);
  const raw = await httpRequest(daemon.socket, 'GET', '/v1/instances?plugin=legacy');
  assert.equal(raw.status, 501, raw.body);
  assert.equal((JSON.parse(raw.body) as { error: { code: string } }).error.code, 'PLUGIN_UNSUPPORTED');
  // The same process, no restart because of the 501 (a health miss under load may have restarted it before).
  const after = (await daemon.list()).find((p) => p.name === 'legacy');
  assert.equal(after?.state, 'serving');
  assert.equal(after?.pid, legacy.pid);
  assert.equal(after?.restarts, legacy.restarts);

  // Another application's plugin: refused at its first start, never retried, never called a crash.
  const kv = await daemon.waitForPlugin('kv', (p) => p.state === 'refused', { what: 'refused' });
  assert.equal(kv.reason, `plugin kv: ${FOREIGN}`);
  assert.equal(kv.lastError, `plugin kv: ${FOREIGN}`);
  assert.equal(kv.restarts, 0);
  assert.equal(kv.pid, null);
  const transitions = await daemon.waitForTransition('kv', 'refused');
  assert.deepEqual(
    transitions.map((tr) => tr.to),
    ['starting', 'refused'],
  );
  assert.ok(!daemon.logs.some((l) => l.plugin === 'kv' && /crash/.test(String(l.reason ?? ''))), 'no crash wording');
  const listText = await daemon.cli('plugins', 'list');
  assert.match(listText.stdout, /^guide\s+loaded\s+serving\s+\d+\s+\S+\s+0\s+go-guide 0\.1\.0\s+unversioned\s+-$/m);
  const status = await daemon.cliJson<{ plugins: { total: number; serving: number; failed: number } }>('status');
  assert.deepEqual(status.plugins, { total: 3, serving: 2, failed: 0 });
});
