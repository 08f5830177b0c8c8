// The idle monitor, sample by sample: a fake clock, a fixture /proc tree the
// test moves forward (test/helpers/proc-tree.ts), the real IdleSampler, and
// a stand-in for the daemon's StopInstance that counts calls and can fail
// the way a restarting or refusing plugin does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import pino from 'pino';
import { DaemonError } from '../../src/daemon/errors.js';
import type { Announcement } from '../../src/daemon/idle/announce.js';
import { IdleMonitor } from '../../src/daemon/idle/monitor.js';
import type { IdleStopper, StopAnswer, StopRoute } from '../../src/daemon/idle/monitor.js';
import { IdleSampler } from '../../src/daemon/idle/sampler.js';
import { DEFAULT_IDLE_SETTINGS } from '../../src/daemon/idle/settings.js';
import type { IdleSettings } from '../../src/daemon/idle/settings.js';
import { HostError } from '../../src/host/errors.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { assertGroupGone, assertPidGone } from '../helpers/leftovers.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { ProcTree } from '../helpers/proc-tree.js';
import { join } from 'node:path';
import { PHASE_CHANGES_KEPT } from '../../src/daemon/idle/phase-changes.js';

const FAKE_BIN = join(REPO_ROOT, 'test/fixtures/bin');
import type { Activity } from '../helpers/proc-tree.js';

const MIN = 60_000;
const INTERVAL = 10_000;

type Behaviour = 'ok' | Error;

/** The daemon's side: StopInstance calls, answered from a script of behaviours (the last one repeats). */
class FakeStopper implements IdleStopper {
  readonly calls: Array<string | undefined> = [];
  readonly #script: Behaviour[];
  /** What route() says blocks the stop (an unloaded plugin, no choice among several); null: nothing. */
  problem: string | null = null;

  constructor(script: Behaviour[] = ['ok']) {
    this.#script = script;
  }

  route(configured: string | null): StopRoute {
    return { plugin: configured ?? 'aws', problem: this.problem };
  }

  async stop(provider: string): Promise<StopAnswer> {
    this.calls.push(provider);
    const behaviour = this.#script[Math.min(this.calls.length, this.#script.length) - 1] ?? 'ok';
    if (behaviour !== 'ok') throw behaviour;
    return { plugin: provider ?? 'aws', message: 'StopInstance accepted by plugin aws', dryRun: false };
  }
}

interface Rig {
  readonly tree: ProcTree;
  readonly clock: FakeClock;
  readonly stopper: FakeStopper;
  readonly monitor: IdleMonitor;
  readonly announcements: Announcement[];
  /** One check interval of `activity` passes, and the monitor samples it. */
  step(activity?: Activity): Promise<void>;
  /** `minutes` of the same activity, sample by sample. */
  steps(minutes: number, activity?: Activity): Promise<void>;
  /** `count` samples of the same activity. */
  samples(count: number, activity?: Activity): Promise<void>;
  readonly sampler: IdleSampler;
}

async function rig(
  t: TestContext,
  options: { settings?: Partial<IdleSettings>; script?: Behaviour[]; bootTime?: number; toolPath?: string; toolEnv?: NodeJS.ProcessEnv } = {},
): Promise<Rig> {
  const tree = await ProcTree.create(t);
  const clock = new FakeClock();
  const settings: IdleSettings = {
    ...DEFAULT_IDLE_SETTINGS,
    napTimeMs: 30 * MIN,
    checkIntervalMs: INTERVAL,
    graceMs: 0,
    cancelWindowMs: MIN,
    root: tree.root,
    ...options.settings,
  };
  // By default an empty search path: no nvidia-smi, whatever this machine has.
  const sampler = new IdleSampler({
    root: tree.root,
    thresholds: settings.thresholds,
    checks: settings.checks,
    toolPath: options.toolPath ?? '',
    ...(options.toolEnv === undefined ? {} : { toolEnv: options.toolEnv }),
    now: () => clock.now(),
  });
  const stopper = new FakeStopper(options.script);
  const announcements: Announcement[] = [];
  const monitor = new IdleMonitor({
    settings,
    dryRun: false,
    sampler,
    stopper,
    announce: async (a) => void announcements.push(a),
    logger: pino({ level: 'silent' }),
    clock,
    startedAt: clock.now(),
    ...(options.bootTime === undefined ? {} : { bootTime: options.bootTime }),
  });
  t.after(() => monitor.close());
  await monitor.start();
  const step = async (activity: Activity = {}) => {
    await tree.pass(INTERVAL / 1000, activity);
    clock.advance(INTERVAL);
    // The timer started a tick; tick() joins it.
    await monitor.tick();
  };
  const samples = async (count: number, activity: Activity = {}) => {
    for (let i = 0; i < count; i += 1) await step(activity);
  };
  const steps = (minutes: number, activity: Activity = {}) => samples((minutes * MIN) / INTERVAL, activity);
  return { tree, clock, stopper, monitor, announcements, step, steps, samples, sampler };
}

describe('IdleMonitor over a fixture /proc tree', () => {
  it('busy → idle for the nap time → announced → StopInstance exactly once', async (t) => {
    const r = await rig(t);
    await r.steps(5, { cpu: 0.6 });
    let status = r.monitor.status();
    assert.equal(status.phase, 'busy');
    assert.deepEqual(status.busySignals, ['cpu']);
    const cpu = status.signals.find((s) => s.signal === 'cpu');
    assert.ok(cpu?.value !== null && cpu !== undefined && Math.abs(cpu.value - 60) < 1, `cpu reads 60 %, got ${cpu?.value}`);
    assert.equal(status.stopAt, null);

    // The nap counts from the first quiet sample, one interval after the last busy one.
    await r.steps(30);
    assert.equal(r.monitor.status().phase, 'idle');
    await r.step();
    status = r.monitor.status();
    assert.equal(status.phase, 'announced');
    assert.equal(r.announcements[0]?.event, 'stopping');
    assert.equal(r.stopper.calls.length, 0, 'not before the cancellation window');

    await r.steps(1);
    await r.monitor.settled();
    assert.deepEqual(r.stopper.calls, ['aws'], 'the provider the daemon names');
    status = r.monitor.status();
    assert.equal(status.phase, 'stopped');
    assert.equal(status.lastStop?.outcome, 'stopped');
    assert.equal(status.lastStop?.attempts, 1);
    assert.ok(r.announcements.some((a) => a.event === 'stopped'));

    await r.steps(60);
    assert.equal(r.stopper.calls.length, 1, 'still idle an hour later, and no second stop');
  });

  it('keeps each phase change with the per-signal values that decided it', async (t) => {
    const r = await rig(t, { settings: { napTimeMs: 2 * MIN, cancelWindowMs: 0 } });
    await r.steps(1, { cpu: 0.6 });
    await r.steps(3);
    await r.monitor.settled();
    const changes = r.monitor.status().phaseChanges;
    assert.deepEqual(
      changes.map((c) => [c.from, c.to]),
      [['starting', 'busy'], ['busy', 'idle'], ['idle', 'announced'], ['announced', 'stopping'], ['stopping', 'stopped']],
    );
    const [busy, idle] = changes;
    assert.ok(busy && idle);
    assert.match(busy.reason, /^busy: cpu 60(\.\d+)? > 10$/);
    const cpuThen = busy.signals.find((s) => s.signal === 'cpu');
    assert.deepEqual([cpuThen?.threshold, cpuThen?.busy], [10, true]);
    assert.equal(idle.reason, 'every signal at or under its threshold');
    assert.ok(idle.signals.every((s) => !s.busy), 'the sample that began the nap');
    assert.equal(Date.parse(idle.at), Date.parse(r.monitor.status().phaseChanges[1]?.at ?? ''));
    assert.ok(changes.every((c) => c.signals.length === 5), 'every signal of the deciding sample');
  });

  it('keeps only the latest PHASE_CHANGES_KEPT changes', async (t) => {
    const r = await rig(t, { settings: { napTimeMs: 10 * MIN } });
    for (let i = 0; i < PHASE_CHANGES_KEPT; i += 1) {
      await r.step({ cpu: 0.6 });
      await r.step();
    }
    const changes = r.monitor.status().phaseChanges;
    assert.equal(changes.length, PHASE_CHANGES_KEPT);
    assert.deepEqual([changes[0]?.from, changes.at(-1)?.to], ['idle', 'idle'], 'the oldest (starting → busy) went first');
  });

  it('runs one nvidia-smi while it samples, and none once it closes or a reload turns detection off', async (t) => {
    const env = { PATH: process.env.PATH, FAKE_NVIDIA_SMI_OUTPUT: '50' };
    const r = await rig(t, { toolPath: FAKE_BIN, toolEnv: env });
    const first = r.sampler.gpuPid;
    assert.ok(first !== undefined, 'started with the monitor, so its first report is in by the first sample');
    r.monitor.reconfigure({ ...DEFAULT_IDLE_SETTINGS, root: r.tree.root, enabled: false }, false);
    assert.equal(r.sampler.gpuPid, undefined);
    await assertPidGone(first);
    await assertGroupGone(first);

    const again = await rig(t, { toolPath: FAKE_BIN, toolEnv: env });
    const second = again.sampler.gpuPid;
    assert.ok(second !== undefined);
    await again.monitor.close();
    await assertPidGone(second);
    await assertGroupGone(second);
  });

  it('network, disk, load or CPU activity inside the nap time resets the idle clock', async (t) => {
    const r = await rig(t);
    for (const activity of [{ networkBytes: 10 * 1024 * 1024 }, { diskBytes: 100 * 1024 * 1024 }, { load1: 3 }, { cpu: 0.5 }]) {
      await r.steps(20);
      assert.equal(r.monitor.status().phase, 'idle');
      await r.step(activity);
      assert.equal(r.monitor.status().phase, 'busy', `busy on ${JSON.stringify(activity)}`);
      assert.equal(r.monitor.status().idleSeconds, 0);
    }
    await r.steps(29);
    assert.equal(r.monitor.status().phase, 'idle', '29 quiet minutes are not a nap of 30');
    assert.equal(r.stopper.calls.length, 0);
    await r.steps(3);
    await r.monitor.settled();
    assert.equal(r.stopper.calls.length, 1);
  });

  it('loopback traffic and partition counters do not count', async (t) => {
    const r = await rig(t);
    await r.steps(1);
    const status = r.monitor.status();
    assert.equal(status.phase, 'idle');
    assert.equal(status.signals.find((s) => s.signal === 'network')?.value, 0);
    assert.equal(status.signals.find((s) => s.signal === 'disk')?.value, 0);
  });

  it('never stops within the grace period after boot', async (t) => {
    const clockStart = new FakeClock().now();
    // Booted a minute before the daemon started; grace 45 min, nap 10 min.
    const r = await rig(t, { settings: { graceMs: 45 * MIN, napTimeMs: 10 * MIN, cancelWindowMs: 0 }, bootTime: clockStart - MIN });
    assert.ok(r.monitor.status().graceUntil !== null);
    await r.steps(43);
    await r.monitor.settled();
    assert.equal(r.stopper.calls.length, 0, 'idle for 43 minutes but inside the grace');
    assert.equal(r.monitor.status().stopAt, new Date(clockStart + 45 * MIN).toISOString());
    await r.steps(2);
    await r.monitor.settled();
    assert.equal(r.stopper.calls.length, 1);
    assert.equal(r.monitor.status().graceUntil, null);
  });

  it('a custom check that says busy (exit 0) keeps the machine up', async (t) => {
    const r = await rig(t, { settings: { napTimeMs: 5 * MIN, checks: [{ name: 'jobs', command: 'exit 0', timeoutMs: 5_000 }] } });
    await r.steps(20);
    await r.monitor.settled();
    const status = r.monitor.status();
    assert.equal(status.phase, 'busy');
    assert.deepEqual(status.busySignals, ['check:jobs']);
    assert.equal(r.stopper.calls.length, 0);
  });

  it('a plugin restarting during the stop: retried with backoff while nothing was sent, then it succeeds', async (t) => {
    const restarting = new DaemonError('PLUGIN_NOT_SERVING', 'plugin aws is not serving (backoff: restarting after a crash)');
    const unreachable = new DaemonError('PLUGIN_NOT_SERVING', 'could not reach plugin aws; StopInstance was not sent (no connection to the plugin)');
    const r = await rig(t, { settings: { napTimeMs: MIN, cancelWindowMs: 0 }, script: [restarting, unreachable, 'ok'] });
    const firstRetry = r.clock.whenTimerSet((ms) => ms === 1_000);
    // Idle from the first sample (10 s); the 7th (70 s) ends the nap and, with no window, stops.
    await r.samples(7);
    await firstRetry;
    assert.equal(r.stopper.calls.length, 1);
    assert.equal(r.monitor.status().phase, 'stopping');
    const secondRetry = r.clock.whenTimerSet((ms) => ms === 2_000);
    r.clock.advance(1_000);
    await secondRetry;
    assert.equal(r.stopper.calls.length, 2);
    r.clock.advance(2_000);
    await r.monitor.settled();
    assert.equal(r.stopper.calls.length, 3);
    const status = r.monitor.status();
    assert.equal(status.phase, 'stopped');
    assert.equal(status.lastStop?.attempts, 3);
  });

  it('a plugin refusing the stop: reported once, not looped on', async (t) => {
    const refused = new HostError('PLUGIN_CALL', 'StopInstance: PERMISSION_DENIED: not authorized for ec2:StopInstances', { grpcCode: 'PERMISSION_DENIED' });
    const r = await rig(t, { settings: { napTimeMs: MIN, cancelWindowMs: 0 }, script: [refused] });
    await r.steps(2);
    await r.monitor.settled();
    let status = r.monitor.status();
    assert.equal(status.phase, 'failed');
    assert.equal(status.lastStop?.outcome, 'failed');
    assert.match(status.lastStop?.message ?? '', /PERMISSION_DENIED.*will not try again/);
    assert.ok(r.announcements.some((a) => a.event === 'failed'));
    await r.steps(60);
    await r.monitor.settled();
    assert.equal(r.stopper.calls.length, 1, 'an hour more of idling, no second call');
    // Busy, then a whole nap again: one more try.
    await r.step({ cpu: 0.9 });
    await r.steps(2);
    await r.monitor.settled();
    status = r.monitor.status();
    assert.equal(r.stopper.calls.length, 2);
  });

  for (const [what, error, outcome] of [
    [
      'sent with no answer (deadline)',
      new DaemonError('OUTCOME_UNKNOWN', 'unknown: StopInstance was sent to plugin aws and no answer came back (DEADLINE_EXCEEDED)'),
      'unknown',
    ],
    [
      'answered UNAVAILABLE by a live plugin (its cloud API is unreachable)',
      new HostError('PLUGIN_CALL', 'plugin aws: StopInstance failed: UNAVAILABLE: EC2 unreachable', { grpcCode: 'UNAVAILABLE', delivery: 'answered' }),
      'failed',
    ],
  ] as const) {
    it(`a stop ${what}: never sent again, reported as ${outcome}`, async (t) => {
      const r = await rig(t, { settings: { napTimeMs: MIN, cancelWindowMs: 0, stopAttempts: 5 }, script: [error, 'ok'] });
      await r.steps(2);
      await r.monitor.settled();
      assert.equal(r.clock.pending, 1, 'no retry timer: only the next sample is scheduled');
      await r.steps(30);
      await r.monitor.settled();
      assert.equal(r.stopper.calls.length, 1, 'StopInstance went out once for this decision');
      const status = r.monitor.status();
      assert.equal(status.lastStop?.outcome, outcome);
      assert.equal(status.lastStop?.attempts, 1);
      assert.ok(r.announcements.some((a) => a.event === 'failed' && a.details.outcome === outcome));
    });
  }

  it('a stop that has nowhere to go (the plugin was unloaded): no call, the reason in the status', async (t) => {
    const r = await rig(t, { settings: { napTimeMs: MIN, cancelWindowMs: 0 } });
    r.stopper.problem = 'plugin aws was unloaded by the operator at 2026-11-30T10:00:00.000Z';
    assert.equal(r.monitor.status().providerProblem, r.stopper.problem);
    await r.steps(2);
    await r.monitor.settled();
    assert.equal(r.stopper.calls.length, 0);
    const status = r.monitor.status();
    assert.equal(status.lastStop?.outcome, 'failed');
    assert.match(status.lastStop?.message ?? '', /cannot stop: plugin aws was unloaded by the operator/);
  });

  it('a plugin that stays away: gives up after stopAttempts and reports it', async (t) => {
    const away = new DaemonError('PLUGIN_NOT_SERVING', 'plugin aws is not serving');
    const r = await rig(t, { settings: { napTimeMs: MIN, cancelWindowMs: 0, stopAttempts: 3 }, script: [away] });
    const retry1 = r.clock.whenTimerSet((ms) => ms === 1_000);
    await r.samples(7);
    await retry1;
    const retry2 = r.clock.whenTimerSet((ms) => ms === 2_000);
    r.clock.advance(1_000);
    await retry2;
    r.clock.advance(2_000);
    await r.monitor.settled();
    assert.equal(r.stopper.calls.length, 3);
    assert.equal(r.monitor.status().phase, 'failed');
  });

  it('reconfigure keeps the idle clock and applies new thresholds at the next sample', async (t) => {
    const r = await rig(t);
    await r.steps(10);
    const before = r.monitor.status();
    assert.equal(before.phase, 'idle');
    const settings: IdleSettings = { ...DEFAULT_IDLE_SETTINGS, root: r.tree.root, napTimeMs: 12 * MIN, checkIntervalMs: INTERVAL, graceMs: 0, cancelWindowMs: 0 };
    r.monitor.reconfigure({ ...settings, thresholds: { ...settings.thresholds, cpuPercent: 80 } }, false);
    assert.equal(r.monitor.status().since, before.since);
    await r.step({ cpu: 0.5 });
    assert.equal(r.monitor.status().phase, 'idle', '50 % is under the new 80 % threshold');
    await r.steps(2);
    await r.monitor.settled();
    assert.equal(r.stopper.calls.length, 1, 'stopped 12 minutes after the idle clock started, before the reload');
  });

  it('a reload turns a disabled monitor on and an enabled one off', async (t) => {
    const r = await rig(t, { settings: { enabled: false, napTimeMs: MIN } });
    const on: IdleSettings = { ...DEFAULT_IDLE_SETTINGS, root: r.tree.root, napTimeMs: MIN, checkIntervalMs: INTERVAL, graceMs: 0, cancelWindowMs: 0 };
    const scheduled = r.clock.whenTimerSet((ms) => ms === INTERVAL);
    r.monitor.reconfigure(on, false);
    await scheduled;
    await r.step();
    assert.equal(r.monitor.status().phase, 'idle');
    r.monitor.reconfigure({ ...on, enabled: false }, false);
    assert.equal(r.clock.pending, 0, 'no more samples');
    assert.equal(r.monitor.status().phase, 'disabled');
    // Reloading an enabled monitor does not start a second sampling loop.
    const again = r.clock.whenTimerSet((ms) => ms === INTERVAL);
    r.monitor.reconfigure(on, false);
    await again;
    r.monitor.reconfigure({ ...on, napTimeMs: 2 * MIN }, false);
    assert.equal(r.clock.pending, 1);
  });

  it('disabled: no samples, no stops', async (t) => {
    const r = await rig(t, { settings: { enabled: false, napTimeMs: MIN } });
    assert.equal(r.clock.pending, 0, 'nothing scheduled');
    const status = r.monitor.status();
    assert.equal(status.phase, 'disabled');
    assert.equal(status.stopAt, null);
  });
});

describe('IdleMonitor.close', () => {
  it('ends a stop waiting to retry at once, without another attempt', async (t) => {
    const away = new DaemonError('PLUGIN_NOT_SERVING', 'plugin aws is not serving');
    const r = await rig(t, { settings: { napTimeMs: MIN, cancelWindowMs: 0, stopAttempts: 5 }, script: [away] });
    const retry = r.clock.whenTimerSet((ms) => ms === 1_000);
    await r.samples(7);
    await retry;
    await r.monitor.close();
    assert.equal(r.stopper.calls.length, 1);
    assert.equal(r.monitor.status().lastStop?.outcome, 'failed');
  });
});
