// The AWS plugin through the whole stack: a real daemon loads dist/plugins/aws
// from its plugins directory (its AWS settings come from the daemon's config,
// as an operator would set them), and the real CLI reads and stops the
// instance on the local EC2 endpoint. Each EC2 failure reaches the CLI as one
// clear message and exit 1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import type { InstanceRecord } from '../../src/daemon/types.js';
import { AWS_PLUGIN, HERE, HERE_SEED, startWorld } from '../aws/world.js';
import type { World } from '../aws/world.js';
import { CLOUD_CONFIG, DaemonDir, mergeConfig } from '../helpers/daemon.js';
import type { DaemonProcess } from '../helpers/daemon.js';

async function daemonWithAws(t: TestContext, world: World, env: Readonly<Record<string, string | undefined>> = {}): Promise<DaemonProcess> {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('aws', AWS_PLUGIN);
  // Not a dry run: a dry-run daemon never sends StopInstances to a cloud plugin.
  // The plugin loads the AWS SDK at its first call, which can hold its event loop for half a second on a
  // loaded machine: health checks with the default deadline, so that is not taken for a hang.
  const daemon = await dir.start({
    config: mergeConfig(CLOUD_CONFIG, { plugins: { aws: { env: world.env({ AWS_MAX_ATTEMPTS: '2', ...env }) } } }),
    dryRun: false,
  });
  await daemon.waitServing('aws');
  return daemon;
}

test('instance info and stop through the daemon and the CLI', async (t) => {
  const world = await startWorld(t);
  const daemon = await daemonWithAws(t, world);

  const info = await daemon.cliJson<InstanceRecord>('instance', 'info', '--plugin', 'aws');
  assert.deepEqual(info, {
    id: HERE.instanceId,
    name: HERE_SEED.name,
    type: HERE.type,
    region: HERE.region,
    zone: HERE.zone,
    state: 'running',
    launchTime: '2024-03-04T05:06:07.000Z',
  });

  const stop = await daemon.cli('instance', 'stop', '--plugin', 'aws', '--yes');
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /StopInstance accepted by plugin aws/);
  assert.equal(world.ec2.calls('StopInstances').length, 1);
  assert.notEqual(world.ec2.instance(HERE.instanceId).state, 'running');
  // The endpoint moves the instance along on each describe: stopping, then stopped.
  const states = [(await daemon.cliJson<InstanceRecord>('instance', 'info', '--plugin', 'aws')).state];
  states.push((await daemon.cliJson<InstanceRecord>('instance', 'info', '--plugin', 'aws')).state);
  assert.ok(states.includes('stopped'), `states seen: ${states.join(', ')}`);
});

const FAILURES = [
  { code: 'IncorrectInstanceState', status: 'FAILED_PRECONDITION', hint: /IncorrectInstanceState/ },
  { code: 'UnauthorizedOperation', status: 'PERMISSION_DENIED', hint: /ec2:StopInstances/ },
  { code: 'InvalidInstanceID.NotFound', status: 'NOT_FOUND', hint: /InvalidInstanceID\.NotFound/ },
  { code: 'RequestLimitExceeded', status: 'UNAVAILABLE', hint: /throttling/ },
] as const;

test('each EC2 error reaches the CLI as one clear message and exit 1', async (t) => {
  const world = await startWorld(t);
  const daemon = await daemonWithAws(t, world);
  for (const failure of FAILURES) {
    world.ec2.clearFaults();
    world.ec2.failAlways('StopInstances', { code: failure.code });
    const result = await daemon.cli('instance', 'stop', '--plugin', 'aws', '--yes');
    assert.equal(result.code, 1, `${failure.code}: exit ${result.code}, ${result.stderr}`);
    assert.match(result.stderr, /^error: /, failure.code);
    assert.match(result.stderr, new RegExp(`StopInstance failed: ${failure.status}`), `${failure.code}: ${result.stderr}`);
    assert.match(result.stderr, failure.hint, `${failure.code}: ${result.stderr}`);
    assert.equal(result.stdout, '');
  }
  world.ec2.clearFaults();
  // The plugin kept serving through all of it.
  const [aws] = await daemon.list();
  assert.equal(aws?.state, 'serving');
  assert.equal(aws?.restarts, 0);
  assert.equal(world.ec2.instance(HERE.instanceId).state, 'running');
});

test('no credentials: the CLI says to attach an instance role', async (t) => {
  const world = await startWorld(t);
  const daemon = await daemonWithAws(t, world, { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
  const result = await daemon.cli('instance', 'info', '--plugin', 'aws');
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /UNAUTHENTICATED/);
  assert.match(result.stderr, /instance role/);
});
