// dist/plugins/azure started by our host, with @azure/identity and
// @azure/arm-compute talking to the local IMDS and the local ARM over HTTPS:
// what it reports, and deallocate, hibernate, power-off and start as ARM sees
// them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VERSION } from '../../src/version.js';
import { assertGroupGone } from '../helpers/leftovers.js';
import type { VmSeed } from '../azure/arm-endpoint.js';
import { HERE, HERE_SEED, startAzurePlugin, startAzureWorld } from '../azure/world.js';
import type { AzureWorld } from '../azure/world.js';

function assertAllAuthorized(world: AzureWorld): void {
  assert.ok(world.arm.requests.length > 0, 'the plugin called ARM');
  for (const request of world.arm.requests) assert.ok(request.status < 300, `${request.kind} answered ${request.status} ${request.code ?? ''}`);
  assert.ok(world.imds.tokenRequests().length >= 1, 'a token came from the managed identity');
  assert.ok(world.imds.requests.every((r) => r.metadataHeader && r.query['api-version'] !== undefined), 'every IMDS request had Metadata: true and an api-version');
}

describe('azure plugin through the host', () => {
  test('names itself; instance info with the power state from the instance view', async (t) => {
    const world = await startAzureWorld(t);
    const plugin = await startAzurePlugin(t, world.env());
    assert.equal(await plugin.client.providerName(), 'azure');
    assert.equal(await plugin.client.providerVersion(), VERSION);
    assert.equal(await plugin.client.apiVersion(), '1');
    assert.equal(world.imds.requests.length, 0, 'IMDS is not asked until an instance call needs it');
    assert.deepEqual(await plugin.client.instanceInfo(), {
      id: HERE.vmId,
      name: HERE.vmName,
      type: HERE.vmSize,
      region: HERE.location,
      zone: HERE.zone,
      state: 'running',
      launchTime: '2024-03-04T05:06:07.000Z',
    });
    const [get] = world.arm.calls('get');
    assert.equal(get?.query.$expand, 'instanceView');
    assertAllAuthorized(world);
  });

  test('stop deallocates by default: 202, Azure-AsyncOperation polled until Succeeded; start brings it back', async (t) => {
    const world = await startAzureWorld(t);
    const plugin = await startAzurePlugin(t, world.env());
    await plugin.client.stopInstance();
    assert.equal(world.arm.calls('deallocate').length, 1);
    assert.equal(world.arm.calls('deallocate')[0]?.query.hibernate, undefined);
    assert.deepEqual(world.arm.calls('powerOff'), [], 'never power-off unless asked: it keeps billing');
    assert.ok(world.arm.calls('operation').length >= 2, 'the operation was polled');
    assert.equal(world.arm.power(HERE.vmName), 'deallocated');
    assert.equal((await plugin.client.instanceInfo()).state, 'deallocated');

    await plugin.client.startInstance();
    assert.equal(world.arm.calls('start').length, 1);
    assert.equal(world.arm.power(HERE.vmName), 'running');
    assertAllAuthorized(world);
  });

  test('SNOOZEBOT_AZURE_STOP_MODE=hibernate deallocates with hibernate=true', async (t) => {
    const world = await startAzureWorld(t, { arm: { vms: [{ ...HERE_SEED, hibernationEnabled: true }] } });
    const plugin = await startAzurePlugin(t, world.env({ SNOOZEBOT_AZURE_STOP_MODE: 'hibernate' }));
    await plugin.client.stopInstance();
    assert.equal(world.arm.calls('deallocate')[0]?.query.hibernate, 'true');
    assert.equal((await plugin.client.instanceInfo()).state, 'hibernated');
  });

  test('SNOOZEBOT_AZURE_STOP_MODE=power-off powers off (and the VM is "stopped", not deallocated)', async (t) => {
    const world = await startAzureWorld(t);
    const plugin = await startAzurePlugin(t, world.env({ SNOOZEBOT_AZURE_STOP_MODE: 'power-off' }));
    await plugin.client.stopInstance();
    assert.equal(world.arm.calls('powerOff').length, 1);
    assert.deepEqual(world.arm.calls('deallocate'), []);
    assert.equal((await plugin.client.instanceInfo()).state, 'stopped');
  });

  test('SNOOZEBOT_DRY_RUN=true: stop and start succeed and ARM is never asked to change anything', async (t) => {
    const world = await startAzureWorld(t);
    const plugin = await startAzurePlugin(t, world.env({ SNOOZEBOT_DRY_RUN: 'true' }));
    await plugin.client.stopInstance();
    await plugin.client.startInstance();
    assert.deepEqual(world.arm.requests.map((r) => r.kind).filter((k) => k !== 'get'), [], 'only reads');
    assert.equal(world.arm.power(HERE.vmName), 'running');
  });

  test('a scale-set VM: stop and start are refused, naming the scale set', async (t) => {
    const world = await startAzureWorld(t, { identity: { scaleSet: 'workers' }, arm: { vms: [{ ...HERE_SEED, scaleSet: 'workers' }] } });
    const plugin = await startAzurePlugin(t, world.env());
    await assert.rejects(plugin.client.stopInstance(), /FAILED_PRECONDITION: refusing to stop .*scale set workers/);
    await assert.rejects(plugin.client.startInstance(), /FAILED_PRECONDITION: refusing to start/);
    assert.deepEqual(world.arm.calls('deallocate'), []);
    assert.equal((await plugin.client.instanceInfo()).state, 'running', 'reading it is fine');
  });

  test('a user-assigned identity by client id', async (t) => {
    const clientId = '7c1c6a47-0000-4000-8000-0000000000aa';
    const world = await startAzureWorld(t, { identities: { systemAssigned: false, userAssigned: [clientId, 'another-identity'] } });
    const plugin = await startAzurePlugin(t, world.env({ SNOOZEBOT_AZURE_CLIENT_ID: clientId }));
    assert.equal((await plugin.client.instanceInfo()).name, HERE.vmName);
    assert.ok(world.imds.tokenRequests().some((r) => r.query.client_id === clientId && r.status === 200));
  });

  test('off Azure: subscription, resource group and VM name from the environment; IMDS only for the token', async (t) => {
    const other: VmSeed = { name: 'elsewhere', vmSize: 'Standard_E8s_v5' };
    const world = await startAzureWorld(t, { arm: { vms: [HERE_SEED, other] } });
    const plugin = await startAzurePlugin(
      t,
      world.env({ SNOOZEBOT_AZURE_SUBSCRIPTION_ID: HERE.subscriptionId, SNOOZEBOT_AZURE_RESOURCE_GROUP: HERE.resourceGroup, SNOOZEBOT_AZURE_VM_NAME: 'elsewhere' }),
    );
    const info = await plugin.client.instanceInfo();
    assert.equal(info.name, 'elsewhere');
    assert.equal(info.type, 'Standard_E8s_v5');
    await plugin.client.stopInstance();
    assert.equal(world.arm.power('elsewhere'), 'deallocated');
    assert.equal(world.arm.power(HERE.vmName), 'running');
    assert.ok(world.imds.requests.every((r) => r.path !== '/metadata/instance/compute'), 'instance metadata was not asked');
  });

  test('list: every page of the resource group, each VM\'s power state, optional tag filter', async (t) => {
    const seeds: VmSeed[] = [HERE_SEED];
    for (let i = 1; i <= 5; i++) seeds.push({ name: `worker-${i}`, tags: { team: i % 2 === 0 ? 'blue' : 'red' }, power: i === 3 ? 'deallocated' : 'running' });
    const world = await startAzureWorld(t, { arm: { vms: seeds, pageLimit: 4 } });
    const all = await startAzurePlugin(t, world.env());
    const listed = await all.client.listInstances();
    assert.deepEqual(listed.map((i) => i.name), [HERE.vmName, 'worker-1', 'worker-2', 'worker-3', 'worker-4', 'worker-5']);
    assert.equal(listed.find((i) => i.name === 'worker-3')?.state, 'deallocated');
    assert.equal(world.arm.calls('list').length, 2, '6 VMs at 4 a page');
    const blue = await startAzurePlugin(t, world.env({ SNOOZEBOT_AZURE_LIST_TAG: 'team=blue' }));
    assert.deepEqual((await blue.client.listInstances()).map((i) => i.name), [HERE.vmName, 'worker-2', 'worker-4']);
  });

  test('a clean stop of the plugin leaves nothing behind', async (t) => {
    const world = await startAzureWorld(t);
    const plugin = await startAzurePlugin(t, world.env());
    await plugin.client.instanceInfo();
    const pgid = plugin.pid;
    assert.ok(pgid !== undefined);
    await plugin.stop();
    assert.equal(plugin.exitInfo?.code, 0);
    await assertGroupGone(pgid);
  });
});
