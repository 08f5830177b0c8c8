// `snoozebot plugins check` as a user runs it: a separate process, JSON on
// stdout, the exit code scripts rely on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execa } from 'execa';
import { CLI, LOCAL_PLUGIN, REPO_ROOT, shFixture } from '../helpers/paths.js';
import { pluginsCheck } from '../helpers/plugins-check.js';

async function cli(...args: string[]) {
  return execa(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, reject: false, timeout: 60_000 });
}

const check = (path: string) => pluginsCheck(path);

test('plugins check on the local plugin: exit 0, every step ok', async () => {
  const { exitCode, diagnosis } = await check(LOCAL_PLUGIN);
  assert.equal(exitCode, 0, JSON.stringify(diagnosis, null, 2));
  assert.equal(diagnosis.ok, true);
  assert.equal(diagnosis.path, LOCAL_PLUGIN);
  assert.equal(diagnosis.error, undefined);
  const steps = new Map(diagnosis.steps.map((s) => [s.step, s]));
  for (const name of ['cookie', 'spawn', 'handshake', 'health', 'provider', 'instance info', 'stop']) {
    assert.equal(steps.get(name)?.ok, true, `step ${name}: ${JSON.stringify(steps.get(name))}`);
  }
  assert.equal(steps.get('cookie')?.warning, undefined, 'the local plugin refuses to run without the cookie');
  assert.match(steps.get('handshake')?.detail ?? '', /core 1, app version 1, grpc/);
  assert.match(steps.get('provider')?.detail ?? '', /^local /);
  assert.match(steps.get('stop')?.detail ?? '', /exited with code 0/);
});

const faulty: { fixture: string; code: string; message: RegExp }[] = [
  // Messages name the file, as the daemon names a plugin.
  { fixture: 'exit-early', code: 'PLUGIN_EXITED_EARLY', message: /^plugin exit-early\.sh exited with code 3[\s\S]*cannot read \/nonexistent\/credentials/ },
  { fixture: 'garbage-handshake', code: 'PLUGIN_HANDSHAKE', message: /^plugin garbage-handshake\.sh sent a bad handshake: .*"1\|garbage"/ },
];

for (const { fixture, code, message } of faulty) {
  test(`plugins check on ${fixture}: exit 1, ${code}`, async () => {
    const { exitCode, diagnosis } = await check(shFixture(fixture));
    assert.equal(exitCode, 1, JSON.stringify(diagnosis, null, 2));
    assert.equal(diagnosis.ok, false);
    assert.equal(diagnosis.error?.code, code);
    assert.match(diagnosis.error?.message ?? '', message);
    const last = diagnosis.steps.at(-1);
    assert.equal(last?.ok, false, 'the last step is the failing one');
    assert.equal(last?.step, 'handshake', 'the plugin was spawned; its handshake failed');
    assert.equal(last?.detail, diagnosis.error?.message);
  });
}

test('plugins check on a plugin announcing an address it was not offered: exit 1 at the address step', async () => {
  const { exitCode, diagnosis } = await check(shFixture('points-elsewhere'));
  assert.equal(exitCode, 1, JSON.stringify(diagnosis, null, 2));
  assert.equal(diagnosis.error?.code, 'PLUGIN_ADDRESS');
  assert.match(diagnosis.error?.message ?? '', /^plugin points-elsewhere\.sh announced address 10\.9\.8\.7:12345 outside loopback: 10\.9\.8\.7 is not a loopback IP address/);
  const last = diagnosis.steps.at(-1);
  assert.equal(last?.step, 'address');
  assert.equal(last?.ok, false);
});

test('plugins check without a path: usage error, exit 2', async () => {
  const result = await cli('plugins', 'check');
  assert.equal(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, /error: /);
  assert.equal(result.stdout, '');
});
