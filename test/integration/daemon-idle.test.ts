// Idle detection end to end: a real daemon with dist/plugins/local (whose
// stop command only appends to a file), or in --dry-run, a nap time of two seconds, and a custom check the test turns busy and idle
// by creating and removing a file. The real /proc is sampled; its thresholds
// are left out of the decision (null) because this machine is busy running
// other tests, so the check alone decides, as it would for a job queue.
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { IdleStatus } from '../../src/daemon/idle/status.js';
import type { DaemonStatus } from '../../src/daemon/types.js';
import { DaemonDir, FAST_CONFIG, httpRequest, mergeConfig, POLL_MS } from '../helpers/daemon.js';
import type { DaemonProcess } from '../helpers/daemon.js';
import { LOCAL_PLUGIN, tsFixture } from '../helpers/paths.js';
import { setTimeout as delay } from 'node:timers/promises';

const IGNORE_MACHINE = {
  cpuPercent: null,
  load1: null,
  networkBytesPerSecond: null,
  diskBytesPerSecond: null,
  sessions: null,
  gpuPercent: null,
};

function idleConfig(busyFile: string, extra: Record<string, unknown> = {}): unknown {
  return mergeConfig(FAST_CONFIG, {
    idle: {
      enabled: true,
      napTimeMs: 2_000,
      checkIntervalMs: 100,
      graceMs: 0,
      cancelWindowMs: 300,
      thresholds: IGNORE_MACHINE,
      checks: [{ name: 'work', command: `test -e '${busyFile}'` }],
      ...extra,
    },
  });
}

async function idleStatus(daemon: DaemonProcess): Promise<IdleStatus> {
  return (await daemon.cliJson<DaemonStatus>('status', '--json')).idle;
}

/** Polls GET /v1/status until the idle status matches; the daemon is another process, so there is no event. */
async function waitIdle(daemon: DaemonProcess, what: string, predicate: (s: IdleStatus) => boolean, timeoutMs = 15_000): Promise<IdleStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: IdleStatus | undefined;
  for (;;) {
    const res = await httpRequest(daemon.socket, 'GET', '/v1/status');
    last = (JSON.parse(res.body) as DaemonStatus).idle;
    if (predicate(last)) return last;
    if (Date.now() > deadline) assert.fail(`timed out waiting for idle ${what}; last: ${JSON.stringify(last)}\n${daemon.output()}`);
    await delay(POLL_MS);
  }
}

describe('daemon idle detection (dry run, local plugin)', () => {
  it('busy while the check says so; idle for the nap time → StopInstance once → the stop command runs once', async (t) => {
    const dir = await DaemonDir.create(t);
    const busyFile = join(dir.root, 'busy');
    const stopFile = join(dir.root, 'stops');
    await writeFile(busyFile, '');
    await dir.addPlugin('local', LOCAL_PLUGIN);
    const local = { env: { SNOOZEBOT_LOCAL_STOP_COMMAND: `echo stopped >> '${stopFile}'` } };
    const daemon = await dir.start({ config: mergeConfig(idleConfig(busyFile), { plugins: { local } }), dryRun: false });
    await daemon.waitServing('local');

    const busy = await waitIdle(daemon, 'busy', (s) => s.phase === 'busy');
    assert.deepEqual(busy.busySignals, ['check:work']);
    assert.equal(busy.stopAt, null);
    assert.equal(busy.provider, 'local');
    assert.equal(busy.dryRun, false);
    const text = await daemon.cli('status');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /busy/);
    assert.match(text.stdout, /check:work/);

    await rm(busyFile);
    const idle = await waitIdle(daemon, 'idle', (s) => s.phase === 'idle' || s.phase === 'announced');
    assert.ok(idle.stopAt !== null, 'an idle machine says when it stops');
    assert.deepEqual(idle.busySignals, []);

    const stopped = await waitIdle(daemon, 'stopped', (s) => s.phase === 'stopped');
    assert.equal(stopped.lastStop?.outcome, 'stopped');
    assert.equal(stopped.lastStop?.plugin, 'local');
    assert.equal(stopped.lastStop?.attempts, 1);
    // The stop came after the nap time and the cancellation window.
    assert.ok(Date.parse(stopped.lastStop.at) - Date.parse(idle.since ?? '') >= 2_300);

    const info = await daemon.cliJson<{ state: string }>('instance', 'info', '--json');
    assert.equal(info.state, 'stopping');

    // Still idle for ten more samples: the stop is not repeated.
    const sampled = Date.parse(stopped.lastSampleAt ?? '');
    await waitIdle(daemon, 'ten more samples', (s) => Date.parse(s.lastSampleAt ?? '') >= sampled + 1_000);
    const requested = daemon.logs.filter((l) => l.msg === 'stop of the instance requested');
    assert.equal(requested.length, 1, 'StopInstance exactly once');
    assert.equal(daemon.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('idle for the nap time')).length, 1);
    assert.equal(await readFile(stopFile, 'utf8'), 'stopped\n', 'the stop command ran once');

    const metrics = await httpRequest(daemon.socket, 'GET', '/metrics');
    assert.match(metrics.body, /^snoozebot_idle_stops_total\{outcome="stopped"\} 1$/m);
    assert.match(metrics.body, /^snoozebot_idle_phase\{phase="stopped"\} 1$/m);
    assert.match(metrics.body, /^snoozebot_idle_signal_busy\{signal="check:work"\} 0$/m);
  });

  it('--dry-run: no plugin is sent StopInstance, the local plugin included', async (t) => {
    const dir = await DaemonDir.create(t);
    await dir.addPlugin('local', LOCAL_PLUGIN);
    const daemon = await dir.start({ config: idleConfig(join(dir.root, 'never'), { napTimeMs: 1_000, cancelWindowMs: 0, provider: 'local' }) });
    await daemon.waitServing('local');
    const stopped = await waitIdle(daemon, 'stopped', (s) => s.phase === 'stopped');
    assert.equal(stopped.lastStop?.outcome, 'dry-run');
    assert.equal(stopped.lastStop?.plugin, 'local');
    assert.match(stopped.lastStop?.message ?? '', /nothing was sent/);
    const metrics = await httpRequest(daemon.socket, 'GET', '/metrics');
    assert.doesNotMatch(metrics.body, /method="StopInstance"/, 'no StopInstance RPC reached the plugin');
    assert.match(metrics.body, /^snoozebot_idle_stops_total\{outcome="dry-run"\} 1$/m);
  });

  it('activity inside the cancellation window cancels the stop', async (t) => {
    const dir = await DaemonDir.create(t);
    const busyFile = join(dir.root, 'busy');
    await dir.addPlugin('local', LOCAL_PLUGIN);
    // A long window, so the test has time to make the machine busy inside it.
    const daemon = await dir.start({ config: idleConfig(busyFile, { napTimeMs: 1_000, cancelWindowMs: 60_000 }) });
    await waitIdle(daemon, 'announced', (s) => s.phase === 'announced');
    await writeFile(busyFile, '');
    await waitIdle(daemon, 'busy again', (s) => s.phase === 'busy');
    await daemon.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('stop cancelled'), { what: 'the cancellation' });
    assert.equal(daemon.logs.filter((l) => l.msg === 'stop of the instance requested').length, 0);
  });

  it('SIGHUP applies a new nap time without losing the idle clock', async (t) => {
    const dir = await DaemonDir.create(t);
    const busyFile = join(dir.root, 'busy');
    await dir.addPlugin('local', LOCAL_PLUGIN);
    const daemon = await dir.start({ config: idleConfig(busyFile, { napTimeMs: 600_000 }) });
    const before = await waitIdle(daemon, 'idle', (s) => s.phase === 'idle');
    await writeFile(dir.configPath, JSON.stringify(idleConfig(busyFile, { napTimeMs: 900_000 })));
    process.kill(daemon.pid, 'SIGHUP');
    await daemon.waitForLog((l) => l.msg === 'configuration reloaded', { what: 'the reload' });
    const after = await idleStatus(daemon);
    assert.equal(after.napTimeSeconds, 900);
    assert.equal(after.phase, 'idle');
    assert.equal(after.since, before.since, 'the idle clock survived the reload');
    assert.equal(Date.parse(after.stopAt ?? ''), Date.parse(before.since ?? '') + 900_000 + 300);
  });
});
