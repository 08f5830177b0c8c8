// SupervisedPlugin with real plugin processes: crash → restart, hang →
// health → restart, crash loop → failed, unload/load, calls that wait through
// a restart. Policies are shortened so the tests run in seconds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import pino from 'pino';
import { DaemonError } from '../../src/daemon/errors.js';
import { SupervisedPlugin } from '../../src/daemon/supervisor/supervised-plugin.js';
import type { SupervisorSettings } from '../../src/daemon/supervisor/supervised-plugin.js';
import type { PluginState, PluginStatus } from '../../src/daemon/types.js';
import { assertGroupGone } from '../helpers/leftovers.js';
import { LOCAL_PLUGIN, shFixture } from '../helpers/paths.js';

const logger = pino({ level: 'silent' });

const FAST: SupervisorSettings = {
  env: {},
  sha256: undefined,
  start: 'boot',
  autoMtls: false,
  startTimeoutMs: 5_000,
  callTimeoutMs: 5_000,
  restart: { initialBackoffMs: 10, maxBackoffMs: 50, jitter: 0, maxCrashes: 4, crashWindowMs: 60_000, resetAfterMs: 60_000 },
  health: { intervalMs: 100, timeoutMs: 80, misses: 3 },
  stop: { controllerMs: 1_000, termMs: 500 },
};

function supervise(t: TestContext, path: string, settings: SupervisorSettings = FAST) {
  const transitions: Array<{ from: PluginState; to: PluginState; reason: string }> = [];
  const waiting = new Map<PluginState, Array<(status: PluginStatus) => void>>();
  const plugin = new SupervisedPlugin({
    name: 'p',
    path,
    settings,
    wanted: { state: 'loaded', by: 'config', at: null },
    logger,
    hooks: {
      onTransition: (status, from) => {
        transitions.push({ from, to: status.state, reason: status.reason });
        for (const resolve of waiting.get(status.state) ?? []) resolve(status);
        waiting.delete(status.state);
      },
    },
  });
  // Whatever a test asserts, its plugin is stopped afterwards.
  t.after(() => plugin.shutdown('test cleanup'));
  /** Resolves at the next transition into `state`. */
  const next = (state: PluginState) =>
    new Promise<PluginStatus>((resolve) => waiting.set(state, [...(waiting.get(state) ?? []), resolve]));
  return { plugin, transitions, next };
}

test('kill -9 of a serving plugin: crashed, restarted at once, serving again', async (t) => {
  const { plugin, transitions, next } = supervise(t, LOCAL_PLUGIN);
  await plugin.load('test');
  const first = plugin.status();
  assert.equal(first.state, 'serving');
  assert.deepEqual(first.provider, { name: 'local', version: first.provider?.version ?? '' });
  assert.ok(first.pid);
  const serving = next('serving');
  process.kill(first.pid, 'SIGKILL');
  const again = await serving;
  assert.notEqual(again.pid, first.pid);
  assert.equal(again.restarts, 1);
  assert.match(plugin.status().lastError ?? '', /killed by SIGKILL/);
  assert.deepEqual(
    transitions.slice(-4).map((t) => t.to),
    ['crashed', 'backoff', 'starting', 'serving'],
  );
  assert.equal(transitions.find((t) => t.to === 'backoff')?.reason, 'restarting now');
  await plugin.unload('test done');
  await assertGroupGone(again.pid ?? 0);
});

test('a hung plugin (SIGSTOP) fails its health checks and is killed and restarted', async (t) => {
  const { plugin, next } = supervise(t, LOCAL_PLUGIN);
  await plugin.load('test');
  const pid = plugin.status().pid ?? 0;
  const serving = next('serving');
  const crashed = next('crashed');
  process.kill(pid, 'SIGSTOP');
  const crash = await crashed;
  assert.match(crash.reason, /unresponsive: 3 health checks failed/);
  await assertGroupGone(pid);
  const again = await serving;
  assert.notEqual(again.pid, pid);
  await plugin.unload('test done');
});

test('a crash loop ends in failed with the reason kept; load tries again from scratch', async (t) => {
  const { plugin, transitions } = supervise(t, shFixture('exit-early'));
  await assert.rejects(plugin.load('test'), (error: unknown) => {
    assert.ok(error instanceof DaemonError);
    assert.equal(error.code, 'PLUGIN_FAILED');
    return true;
  });
  const status = plugin.status();
  assert.equal(status.state, 'failed');
  assert.match(status.reason, /crashed 4 times within 60 s/);
  assert.match(status.lastError ?? '', /exited with code 3/);
  assert.equal(transitions.filter((t) => t.to === 'crashed').length, 4);
  // Backoff grew between attempts: restarting now, then 10 ms, 20 ms.
  assert.deepEqual(
    transitions.filter((t) => t.to === 'backoff').map((t) => t.reason),
    ['restarting now', 'restarting in 10 ms', 'restarting in 20 ms'],
  );
  await assert.rejects(plugin.load('again'), /crashed 4 times/);
});

test('calls wait for a restarting plugin instead of failing at once', async (t) => {
  const { plugin } = supervise(t, LOCAL_PLUGIN);
  try {
    await plugin.load('test');
    const pid = plugin.status().pid ?? 0;
    process.kill(pid, 'SIGKILL');
    // Issued right after the kill: it waits for the restarted process and answers.
    const name = await plugin.call('GetProviderName', (client) => client.providerName(), { retry: true, waitMs: 5_000 });
    assert.equal(name, 'local');
    assert.notEqual(plugin.status().pid, pid);
  } finally {
    await plugin.unload('test done');
  }
});

test('a call whose process is stopped before the call is sent: PLUGIN_NOT_SERVING, or its retry once serving again', async (t) => {
  const { plugin } = supervise(t, LOCAL_PLUGIN);
  await plugin.load('test');
  // restart() stops the process synchronously, before the call (issued first) gets past its await for "serving".
  const once = plugin.call('GetProviderName', (client) => client.providerName(), { retry: false, waitMs: 5_000 });
  const restarted = plugin.restart('restarted under the call');
  await assert.rejects(once, (error: unknown) => {
    assert.ok(error instanceof DaemonError, String(error));
    assert.equal(error.code, 'PLUGIN_NOT_SERVING');
    assert.match(error.message, /^could not reach plugin p; GetProviderName was not sent \(the plugin stopped first; it is (stopping|stopped|starting): restarted under the call\)$/);
    return true;
  });
  await restarted;
  // A call that is safe to repeat waits for the restarted process instead.
  const retried = plugin.call('GetProviderName', (client) => client.providerName(), { retry: true, waitMs: 5_000 });
  const again = plugin.restart('restarted under the call, again');
  assert.equal(await retried, 'local');
  await again;
});

test('unload stops the process and keeps it stopped; calls then fail clearly', async (t) => {
  const { plugin } = supervise(t, LOCAL_PLUGIN);
  await plugin.load('test');
  const pid = plugin.status().pid ?? 0;
  await plugin.unload('by request');
  assert.equal(plugin.status().state, 'stopped');
  assert.equal(plugin.status().wanted, 'unloaded');
  assert.equal(plugin.status().pid, null);
  await assertGroupGone(pid);
  await assert.rejects(
    plugin.call('GetProviderName', (client) => client.providerName(), { retry: true, waitMs: 1_000 }),
    (error: unknown) => error instanceof DaemonError && error.code === 'PLUGIN_NOT_SERVING',
  );
  await plugin.load('again');
  assert.equal(plugin.status().state, 'serving');
  await plugin.shutdown('daemon stopping');
  assert.equal(plugin.status().state, 'stopped');
});
