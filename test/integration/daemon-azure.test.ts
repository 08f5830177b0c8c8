// The Azure plugin through the whole stack: a real daemon loads
// dist/plugins/azure from its plugins directory (its settings, and the test
// CA in NODE_EXTRA_CA_CERTS, come from the daemon's config, as an operator
// would set them), and the real CLI reads, lists, deallocates (or powers off)
// and starts the VM on the local ARM. Each ARM failure reaches the CLI as one
// clear message and exit 1. `plugins check` runs the plugin against the same
// local endpoints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import type { InstanceRecord } from '../../src/daemon/types.js';
import type { Diagnosis } from '../../src/host/diagnose.js';
import { AZURE_PLUGIN, HERE, startAzureWorld } from '../azure/world.js';
import type { AzureWorld } from '../azure/world.js';
import { CLOUD_CONFIG, DaemonDir, mergeConfig, runCli } from '../helpers/daemon.js';
import type { DaemonProcess } from '../helpers/daemon.js';

async function daemonWithAzure(t: TestContext, world: AzureWorld, env: Readonly<Record<string, string | undefined>> = {}): Promise<DaemonProcess> {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('azure', AZURE_PLUGIN);
  // Not a dry run: a dry-run daemon never sends StopInstance to a cloud plugin.
  const daemon = await dir.start({
    config: mergeConfig(CLOUD_CONFIG, { plugins: { azure: { env: world.env({ SNOOZEBOT_AZURE_MAX_ATTEMPTS: '2', ...env }) } } }),
    dryRun: false,
  });
  await daemon.waitServing('azure');
  return daemon;
}

const info = (daemon: DaemonProcess) => daemon.cliJson<InstanceRecord>('instance', 'info', '--plugin', 'azure');

test('azure: instance info, list, deallocate and start through the daemon and the CLI', async (t) => {
  const world = await startAzureWorld(t);
  const daemon = await daemonWithAzure(t, world);
  assert.deepEqual(await info(daemon), {
    id: HERE.vmId,
    name: HERE.vmName,
    type: HERE.vmSize,
    region: HERE.location,
    zone: HERE.zone,
    state: 'running',
    launchTime: '2024-03-04T05:06:07.000Z',
  });
  const listed = await daemon.cliJson<InstanceRecord[]>('instance', 'list', '--plugin', 'azure');
  assert.deepEqual(listed.map((i) => `${i.name} ${i.state}`), [`${HERE.vmName} running`]);

  const stop = await daemon.cli('instance', 'stop', '--plugin', 'azure', '--yes');
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /StopInstance accepted by plugin azure/);
  assert.equal(world.arm.calls('deallocate').length, 1);
  assert.deepEqual(world.arm.calls('powerOff'), []);
  assert.equal((await info(daemon)).state, 'deallocated');

  const start = await daemon.cli('instance', 'start', '--plugin', 'azure', '--yes');
  assert.equal(start.code, 0, start.stderr);
  assert.equal((await info(daemon)).state, 'running');
});

test('azure: SNOOZEBOT_AZURE_STOP_MODE=power-off powers off, which the info shows as stopped (still billed)', async (t) => {
  const world = await startAzureWorld(t);
  const daemon = await daemonWithAzure(t, world, { SNOOZEBOT_AZURE_STOP_MODE: 'power-off' });
  const stop = await daemon.cli('instance', 'stop', '--plugin', 'azure', '--yes');
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(world.arm.calls('powerOff').length, 1);
  assert.equal((await info(daemon)).state, 'stopped');
  const start = await daemon.cli('instance', 'start', '--plugin', 'azure', '--yes');
  assert.equal(start.code, 0, start.stderr);
  assert.equal((await info(daemon)).state, 'running');
});

const NOT_FOUND = `The Resource 'Microsoft.Compute/virtualMachines/${HERE.vmName}' under resource group '${HERE.resourceGroup}' was not found.`;
const FAILURES = [
  { what: 'permission denied', kind: 'deallocate', fault: { status: 403, code: 'AuthorizationFailed', message: "The client 'x' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/deallocate/action' over scope 'y'." }, status: 'PERMISSION_DENIED', hint: /deallocate\/action to the identity's role/ },
  { what: 'not found', kind: 'get', fault: { status: 404, code: 'ResourceNotFound', message: NOT_FOUND }, status: 'NOT_FOUND', hint: /SNOOZEBOT_AZURE_VM_NAME/ },
  { what: 'throttled', kind: '*', fault: { status: 429, code: 'TooManyRequests', message: 'The request is being throttled.', retryAfter: 0 }, status: 'UNAVAILABLE', hint: /throttling/ },
  { what: 'conflict', kind: 'deallocate', fault: { status: 409, code: 'OperationNotAllowed', message: "Operation 'deallocate' is not allowed since the VM is deallocating." }, status: 'FAILED_PRECONDITION', hint: /changing state/ },
] as const;

test('azure: each ARM error reaches the CLI as one clear message and exit 1', async (t) => {
  const world = await startAzureWorld(t);
  const daemon = await daemonWithAzure(t, world, { SNOOZEBOT_AZURE_REQUEST_TIMEOUT_MS: '500' });
  for (const failure of FAILURES) {
    world.arm.clearFaults();
    world.arm.failAlways(failure.kind, failure.fault);
    const result = await daemon.cli('instance', 'stop', '--plugin', 'azure', '--yes');
    assert.equal(result.code, 1, `${failure.what}: exit ${result.code}, ${result.stderr}`);
    assert.match(result.stderr, /^error: /, failure.what);
    assert.match(result.stderr, new RegExp(`StopInstance failed: ${failure.status}`), `${failure.what}: ${result.stderr}`);
    assert.match(result.stderr, failure.hint, `${failure.what}: ${result.stderr}`);
    assert.equal(result.stdout, '');
  }
  world.arm.clearFaults();
  // A timeout: ARM takes the connection and never answers.
  world.arm.hang();
  const timeout = await daemon.cli('instance', 'stop', '--plugin', 'azure', '--yes');
  assert.equal(timeout.code, 1, timeout.stderr);
  assert.match(timeout.stderr, /StopInstance failed: DEADLINE_EXCEEDED: .* did not answer in time/);
  world.arm.clearFaults();
  const [azure] = await daemon.list();
  assert.equal(azure?.state, 'serving');
  assert.equal(azure?.restarts, 0);
  assert.equal(world.arm.power(HERE.vmName), 'running');
});

test('azure: no managed identity, the CLI says to assign one', async (t) => {
  const world = await startAzureWorld(t, { identities: { systemAssigned: false, userAssigned: [] } });
  const daemon = await daemonWithAzure(t, world);
  const result = await daemon.cli('instance', 'info', '--plugin', 'azure');
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /UNAUTHENTICATED: Azure virtualMachines\.get failed: no usable Azure credentials/);
  assert.match(result.stderr, /give the VM a managed identity/);
});

test('azure: snoozebot plugins check dist/plugins/azure passes against the local endpoints', async (t) => {
  const world = await startAzureWorld(t);
  const result = await runCli(['plugins', 'check', AZURE_PLUGIN, '--json'], world.env());
  const diagnosis = JSON.parse(result.stdout) as Diagnosis;
  assert.equal(result.code, 0, JSON.stringify(diagnosis, null, 2));
  const steps = new Map(diagnosis.steps.map((s) => [s.step, s]));
  assert.match(steps.get('provider')?.detail ?? '', /^azure /);
  assert.equal(steps.get('instance info')?.detail, `${HERE.vmId} ${HERE.vmName} (${HERE.vmSize}) ${HERE.location}/${HERE.zone} running`);
});
