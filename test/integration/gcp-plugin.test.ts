// dist/plugins/gcp started by our host, with Google's auth library talking to
// the local metadata server and Compute API: what it reports, and stop,
// suspend, start and resume as Compute Engine sees them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VERSION } from '../../src/version.js';
import { assertGroupGone } from '../helpers/leftovers.js';
import type { InstanceSeed } from '../gcp/compute-endpoint.js';
import { HERE, HERE_SEED, startGcpPlugin, startGcpWorld } from '../gcp/world.js';
import type { GcpWorld } from '../gcp/world.js';

/** Every Compute request carried a token the metadata server issued, and was accepted. */
function assertAllAuthorized(world: GcpWorld): void {
  assert.ok(world.compute.requests.length > 0, 'the plugin called Compute');
  for (const request of world.compute.requests) assert.equal(request.status, 200, `${request.kind} answered ${request.status} ${request.reason ?? ''}`);
  assert.ok(world.metadata.tokenRequests().length >= 1, 'a token came from the metadata server');
  assert.ok(world.metadata.requests.every((r) => r.flavored), 'every metadata request carried Metadata-Flavor: Google');
}

describe('gcp plugin through the host', () => {
  test('names itself; instance info from the Compute record, the zone and project from the metadata server', async (t) => {
    const world = await startGcpWorld(t);
    const plugin = await startGcpPlugin(t, world.env());
    assert.equal(await plugin.client.providerName(), 'gcp');
    assert.equal(await plugin.client.providerVersion(), VERSION);
    assert.equal(await plugin.client.apiVersion(), '1');
    assert.equal(world.metadata.requests.length, 0, 'the metadata server is not asked until an instance call needs it');

    assert.deepEqual(await plugin.client.instanceInfo(), {
      id: HERE.instanceId,
      name: HERE.instance,
      type: HERE.machineType,
      region: 'europe-west1',
      zone: HERE.zone,
      state: 'running',
      launchTime: '2024-03-04T05:06:07.000Z',
    });
    const [get] = world.compute.calls('instances.get');
    assert.equal(get?.path, `/compute/v1/projects/${HERE.project}/zones/${HERE.zone}/instances/${HERE.instance}`);
    assertAllAuthorized(world);
    const metadataRequests = world.metadata.requests.length;
    await plugin.client.instanceInfo();
    assert.equal(world.metadata.requests.length, metadataRequests, 'where it is and its token are asked once');
  });

  test('stop: instances.stop keeps local SSDs by default, the operation is polled PENDING → RUNNING → DONE; start brings it back', async (t) => {
    const world = await startGcpWorld(t, { compute: { pollsPerStep: 2 } });
    const plugin = await startGcpPlugin(t, world.env());
    await plugin.client.stopInstance();
    const [stop] = world.compute.calls('instances.stop');
    assert.equal(stop?.query.discardLocalSsd, 'false');
    assert.equal(world.compute.calls('zoneOperations.get').length, 4, 'two polls PENDING, two RUNNING');
    assert.equal(world.compute.status(HERE.instance), 'TERMINATED', 'the stop was waited on until DONE');
    assert.equal((await plugin.client.instanceInfo()).state, 'stopped');

    await plugin.client.startInstance();
    assert.equal(world.compute.calls('instances.start').length, 1);
    assert.equal(world.compute.status(HERE.instance), 'RUNNING');
    assert.equal((await plugin.client.instanceInfo()).state, 'running');
    assertAllAuthorized(world);
  });

  test('SNOOZEBOT_GCP_SUSPEND=true: instances.suspend; StartInstance then resumes', async (t) => {
    const world = await startGcpWorld(t);
    const plugin = await startGcpPlugin(t, world.env({ SNOOZEBOT_GCP_SUSPEND: 'true', SNOOZEBOT_GCP_DISCARD_LOCAL_SSD: 'true' }));
    await plugin.client.stopInstance();
    assert.equal(world.compute.calls('instances.suspend')[0]?.query.discardLocalSsd, 'true');
    assert.deepEqual(world.compute.calls('instances.stop'), []);
    assert.equal(world.compute.status(HERE.instance), 'SUSPENDED');
    assert.equal((await plugin.client.instanceInfo()).state, 'suspended');
    await plugin.client.startInstance();
    assert.equal(world.compute.calls('instances.resume').length, 1);
    assert.deepEqual(world.compute.calls('instances.start'), []);
    assert.equal(world.compute.status(HERE.instance), 'RUNNING');
  });

  test('SNOOZEBOT_DRY_RUN=true: stop and start succeed and Compute is never asked to change anything', async (t) => {
    const world = await startGcpWorld(t);
    const plugin = await startGcpPlugin(t, world.env({ SNOOZEBOT_DRY_RUN: 'true', SNOOZEBOT_GCP_SUSPEND: 'true' }));
    await plugin.client.stopInstance();
    await plugin.client.startInstance();
    assert.deepEqual(
      world.compute.requests.map((r) => r.kind).filter((k) => k !== 'instances.get'),
      [],
      'only reads',
    );
    assert.equal(world.compute.status(HERE.instance), 'RUNNING');
  });

  test('a managed instance group\'s instance: stop is refused unless SNOOZEBOT_GCP_ALLOW_MIG=true', async (t) => {
    const group = `projects/${HERE.numericProject}/zones/${HERE.zone}/instanceGroupManagers/workers`;
    const world = await startGcpWorld(t, { compute: { instances: [{ ...HERE_SEED, createdBy: group }] }, metadata: { createdBy: group } });
    const refusing = await startGcpPlugin(t, world.env());
    await assert.rejects(refusing.client.stopInstance(), (error: unknown) => {
      assert.match(String(error), /FAILED_PRECONDITION: refusing to stop .*managed instance group .*instanceGroupManagers\/workers/);
      assert.match(String(error), /SNOOZEBOT_GCP_ALLOW_MIG=true/);
      return true;
    });
    assert.deepEqual(world.compute.calls('instances.stop'), []);
    const allowed = await startGcpPlugin(t, world.env({ SNOOZEBOT_GCP_ALLOW_MIG: 'true' }));
    await allowed.client.stopInstance();
    assert.equal(world.compute.status(HERE.instance), 'TERMINATED');
  });

  test('off GCE: project, zone and instance from the environment; the metadata server is not asked where it is', async (t) => {
    const other: InstanceSeed = { name: 'elsewhere', id: '99', machineType: 'n2-standard-8' };
    const world = await startGcpWorld(t, { compute: { instances: [HERE_SEED, other] } });
    const plugin = await startGcpPlugin(
      t,
      world.env({ SNOOZEBOT_GCP_PROJECT: HERE.project, SNOOZEBOT_GCP_ZONE: HERE.zone, SNOOZEBOT_GCP_INSTANCE: 'elsewhere' }),
    );
    const info = await plugin.client.instanceInfo();
    assert.equal(info.name, 'elsewhere');
    assert.equal(info.type, 'n2-standard-8');
    await plugin.client.stopInstance();
    assert.equal(world.compute.status('elsewhere'), 'TERMINATED');
    assert.equal(world.compute.status(HERE.instance), 'RUNNING');
    assert.ok(
      world.metadata.requests.every((r) => !/\/instance\/(name|zone|id|machine-type)$/.test(r.path)),
      `where-am-i was not asked: ${world.metadata.requests.map((r) => r.path).join(' ')}`,
    );
  });

  test('list: every page of instances.list, optional label filter', async (t) => {
    const seeds: InstanceSeed[] = [HERE_SEED];
    for (let i = 1; i <= 9; i++) {
      seeds.push({ name: `worker-${i}`, labels: { team: i % 2 === 0 ? 'blue' : 'red' }, status: i % 3 === 0 ? 'TERMINATED' : 'RUNNING' });
    }
    const world = await startGcpWorld(t, { compute: { instances: seeds, pageLimit: 4 } });
    const all = await startGcpPlugin(t, world.env());
    const listed = await all.client.listInstances();
    assert.deepEqual(
      listed.map((i) => i.name),
      [HERE.instance, ...Array.from({ length: 9 }, (_, i) => `worker-${i + 1}`)],
    );
    assert.equal(listed.find((i) => i.name === 'worker-3')?.state, 'stopped');
    assert.equal(world.compute.calls('instances.list').length, 3, '10 instances at 4 a page');

    const blue = await startGcpPlugin(t, world.env({ SNOOZEBOT_GCP_LIST_LABEL: 'team=blue' }));
    assert.deepEqual(
      (await blue.client.listInstances()).map((i) => i.name),
      [HERE.instance, 'worker-2', 'worker-4', 'worker-6', 'worker-8'],
    );
    assert.equal(world.compute.calls('instances.list').at(-1)?.query.filter, 'labels.team = "blue"');
  });

  test('a clean stop of the plugin leaves nothing behind', async (t) => {
    const world = await startGcpWorld(t);
    const plugin = await startGcpPlugin(t, world.env());
    await plugin.client.instanceInfo();
    const pgid = plugin.pid;
    assert.ok(pgid !== undefined);
    await plugin.stop();
    assert.equal(plugin.exitInfo?.code, 0);
    await assertGroupGone(pgid);
  });
});
