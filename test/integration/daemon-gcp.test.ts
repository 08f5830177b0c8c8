// The GCP plugin through the whole stack: a real daemon loads dist/plugins/gcp
// from its plugins directory (its settings come from the daemon's config, as
// an operator would set them), and the real CLI reads, lists, stops (or
// suspends) and starts the instance on the local Compute API. Each Compute
// failure reaches the CLI as one clear message and exit 1. `plugins check`
// runs the plugin against the same local endpoints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import type { InstanceRecord } from '../../src/daemon/types.js';
import type { Diagnosis } from '../../src/host/diagnose.js';
import { GCP_PLUGIN, HERE, startGcpWorld } from '../gcp/world.js';
import type { GcpWorld } from '../gcp/world.js';
import { CLOUD_CONFIG, DaemonDir, mergeConfig, runCli } from '../helpers/daemon.js';
import type { DaemonProcess } from '../helpers/daemon.js';

async function daemonWithGcp(t: TestContext, world: GcpWorld, env: Readonly<Record<string, string | undefined>> = {}): Promise<DaemonProcess> {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('gcp', GCP_PLUGIN);
  // Not a dry run: a dry-run daemon never sends StopInstance to a cloud plugin.
  const daemon = await dir.start({
    config: mergeConfig(CLOUD_CONFIG, { plugins: { gcp: { env: world.env({ SNOOZEBOT_GCP_MAX_ATTEMPTS: '2', ...env }) } } }),
    dryRun: false,
  });
  await daemon.waitServing('gcp');
  return daemon;
}

const info = (daemon: DaemonProcess) => daemon.cliJson<InstanceRecord>('instance', 'info', '--plugin', 'gcp');

test('gcp: instance info, list, stop and start through the daemon and the CLI', async (t) => {
  const world = await startGcpWorld(t);
  const daemon = await daemonWithGcp(t, world);

  assert.deepEqual(await info(daemon), {
    id: HERE.instanceId,
    name: HERE.instance,
    type: HERE.machineType,
    region: 'europe-west1',
    zone: HERE.zone,
    state: 'running',
    launchTime: '2024-03-04T05:06:07.000Z',
  });
  const listed = await daemon.cliJson<InstanceRecord[]>('instance', 'list', '--plugin', 'gcp');
  assert.deepEqual(listed.map((i) => `${i.name} ${i.state}`), [`${HERE.instance} running`]);

  const stop = await daemon.cli('instance', 'stop', '--plugin', 'gcp', '--yes');
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /StopInstance accepted by plugin gcp/);
  assert.equal(world.compute.calls('instances.stop').length, 1);
  assert.equal((await info(daemon)).state, 'stopped', 'the operation was waited on');

  const start = await daemon.cli('instance', 'start', '--plugin', 'gcp', '--yes');
  assert.equal(start.code, 0, start.stderr);
  assert.equal((await info(daemon)).state, 'running');
});

test('gcp: SNOOZEBOT_GCP_SUSPEND=true suspends, and start resumes', async (t) => {
  const world = await startGcpWorld(t);
  const daemon = await daemonWithGcp(t, world, { SNOOZEBOT_GCP_SUSPEND: 'true' });
  const stop = await daemon.cli('instance', 'stop', '--plugin', 'gcp', '--yes');
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal((await info(daemon)).state, 'suspended');
  assert.equal(world.compute.calls('instances.suspend').length, 1);
  const start = await daemon.cli('instance', 'start', '--plugin', 'gcp', '--yes');
  assert.equal(start.code, 0, start.stderr);
  assert.equal(world.compute.calls('instances.resume').length, 1);
  assert.equal((await info(daemon)).state, 'running');
});

const NOT_FOUND = `The resource 'projects/${HERE.project}/zones/${HERE.zone}/instances/${HERE.instance}' was not found`;
const FAILURES = [
  { what: 'permission denied', kind: 'instances.stop', fault: { status: 403, reason: 'forbidden', message: "Required 'compute.instances.stop' permission" }, status: 'PERMISSION_DENIED', hint: /grant compute\.instances\.stop/ },
  { what: 'not found', kind: 'instances.get', fault: { status: 404, reason: 'notFound', message: NOT_FOUND }, status: 'NOT_FOUND', hint: /SNOOZEBOT_GCP_INSTANCE/ },
  { what: 'throttled', kind: '*', fault: { status: 429, reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }, status: 'UNAVAILABLE', hint: /throttling/ },
  { what: 'conflict', kind: 'instances.stop', fault: { status: 400, reason: 'resourceNotReady', message: 'The resource is not ready' }, status: 'FAILED_PRECONDITION', hint: /changing state/ },
] as const;

test('gcp: each Compute error reaches the CLI as one clear message and exit 1', async (t) => {
  const world = await startGcpWorld(t);
  const daemon = await daemonWithGcp(t, world, { SNOOZEBOT_GCP_OPERATION_TIMEOUT_MS: '400' });
  for (const failure of FAILURES) {
    world.compute.clearFaults();
    world.compute.failAlways(failure.kind, failure.fault);
    const result = await daemon.cli('instance', 'stop', '--plugin', 'gcp', '--yes');
    assert.equal(result.code, 1, `${failure.what}: exit ${result.code}, ${result.stderr}`);
    assert.match(result.stderr, /^error: /, failure.what);
    assert.match(result.stderr, new RegExp(`StopInstance failed: ${failure.status}`), `${failure.what}: ${result.stderr}`);
    assert.match(result.stderr, failure.hint, `${failure.what}: ${result.stderr}`);
    assert.equal(result.stdout, '');
  }
  world.compute.clearFaults();
  // A timeout: the operation never leaves PENDING.
  world.compute.stallOperations();
  const timeout = await daemon.cli('instance', 'stop', '--plugin', 'gcp', '--yes');
  assert.equal(timeout.code, 1, timeout.stderr);
  assert.match(timeout.stderr, /StopInstance failed: DEADLINE_EXCEEDED: Compute instances\.stop: operation \S+ was still PENDING/);
  world.compute.clearFaults();
  // The plugin kept serving through all of it.
  const [gcp] = await daemon.list();
  assert.equal(gcp?.state, 'serving');
  assert.equal(gcp?.restarts, 0);
});

test('gcp: no service account, the CLI says to attach one', async (t) => {
  const world = await startGcpWorld(t, { metadata: { serviceAccount: undefined } });
  const daemon = await daemonWithGcp(t, world);
  const result = await daemon.cli('instance', 'info', '--plugin', 'gcp');
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /UNAUTHENTICATED: Compute instances\.get failed: no usable Google credentials/);
  assert.match(result.stderr, /give the instance a service account/);
});

test('gcp: snoozebot plugins check dist/plugins/gcp passes against the local endpoints', async (t) => {
  const world = await startGcpWorld(t);
  const result = await runCli(['plugins', 'check', GCP_PLUGIN, '--json'], world.env());
  const diagnosis = JSON.parse(result.stdout) as Diagnosis;
  assert.equal(result.code, 0, JSON.stringify(diagnosis, null, 2));
  const steps = new Map(diagnosis.steps.map((s) => [s.step, s]));
  assert.match(steps.get('provider')?.detail ?? '', /^gcp /);
  assert.equal(steps.get('instance info')?.detail, `${HERE.instanceId} ${HERE.instance} (${HERE.machineType}) europe-west1/${HERE.zone} running`);
  assert.equal(world.compute.calls('instances.get').length, 1);
});
