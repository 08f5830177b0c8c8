// dist/plugins/aws started by our host, with the real SDK talking to the
// local EC2 endpoint and IMDS: what it reports, and stop/start as EC2 sees them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VERSION } from '../../src/version.js';
import { assertGroupGone } from '../helpers/leftovers.js';
import type { InstanceSeed } from '../aws/ec2-endpoint.js';
import { HERE, HERE_SEED, TEST_CREDENTIALS, startAwsPlugin, startWorld } from '../aws/world.js';
import type { World } from '../aws/world.js';

/** Every EC2 request was signed with `accessKeyId` and accepted. */
function assertAllSigned(world: World, accessKeyId = TEST_CREDENTIALS.accessKeyId): void {
  assert.ok(world.ec2.requests.length > 0, 'the plugin called EC2');
  for (const request of world.ec2.requests) {
    assert.equal(request.accessKeyId, accessKeyId, `${request.action} signed by ${accessKeyId}`);
    assert.equal(request.status, 200, `${request.action} answered ${request.status} ${request.errorCode ?? ''}`);
    assert.equal(request.params.Version, '2016-11-15');
  }
}

describe('aws plugin through the host', () => {
  test('names itself; instance info has the Name tag, type, launch time, and region and zone from IMDS', async (t) => {
    const world = await startWorld(t);
    const plugin = await startAwsPlugin(t, world.env());
    const client = plugin.client;
    assert.equal(await client.providerName(), 'aws');
    assert.equal(await client.providerVersion(), VERSION);
    assert.equal(await client.apiVersion(), '0.1.0');
    assert.equal(world.imds.requests.length, 0, 'IMDS is not asked until an instance call needs it');

    assert.deepEqual(await client.instanceInfo(), {
      id: HERE.instanceId,
      name: 'build-box',
      type: HERE.type,
      region: HERE.region,
      zone: HERE.zone,
      state: 'running',
      launchTime: '2024-03-04T05:06:07.000Z',
    });
    const describe = world.ec2.calls('DescribeInstances');
    assert.equal(describe.length, 1);
    assert.equal(describe[0]?.params['InstanceId.1'], HERE.instanceId);
    assertAllSigned(world);
    // IMDSv2: a token first, then GETs carrying it.
    assert.equal(world.imds.requests[0]?.method, 'PUT');
    assert.ok(world.imds.requests.slice(1).every((r) => r.method === 'GET' && r.withToken && r.status === 200));

    // The instance does not move: IMDS is asked once for the plugin's life.
    const imdsRequests = world.imds.requests.length;
    await client.instanceInfo();
    assert.equal(world.imds.requests.length, imdsRequests);
  });

  test('stop: EC2 sees StopInstances for this instance; state goes stopping → stopped; start brings it back', async (t) => {
    const world = await startWorld(t);
    const plugin = await startAwsPlugin(t, world.env());
    await plugin.client.stopInstance();
    const [stop] = world.ec2.calls('StopInstances');
    assert.equal(stop?.params['InstanceId.1'], HERE.instanceId);
    assert.equal(stop?.params.Hibernate, undefined, 'no hibernation unless asked');
    assert.equal(world.ec2.instance(HERE.instanceId).state, 'stopping');
    assert.equal(world.ec2.instance(HERE.instanceId).stateReason, 'Client.UserInitiatedShutdown');
    assert.equal((await plugin.client.instanceInfo()).state, 'stopping');
    assert.equal((await plugin.client.instanceInfo()).state, 'stopped');
    assert.equal(world.ec2.instance(HERE.instanceId).state, 'stopped');

    // Stopping a stopped instance is fine with EC2, and so with the plugin.
    await plugin.client.stopInstance();
    assert.equal(world.ec2.calls('StopInstances').length, 2);

    await plugin.client.startInstance();
    assert.equal(world.ec2.calls('StartInstances')[0]?.params['InstanceId.1'], HERE.instanceId);
    assert.equal((await plugin.client.instanceInfo()).state, 'pending');
    assert.equal((await plugin.client.instanceInfo()).state, 'running');
    assertAllSigned(world);
  });

  test('SNOOZEBOT_AWS_HIBERNATE=true: StopInstances with Hibernate=true', async (t) => {
    const world = await startWorld(t, { ec2: { instances: [{ ...HERE_SEED, hibernation: true }] } });
    const plugin = await startAwsPlugin(t, world.env({ SNOOZEBOT_AWS_HIBERNATE: 'true' }));
    await plugin.client.stopInstance();
    assert.equal(world.ec2.calls('StopInstances')[0]?.params.Hibernate, 'true');
    assert.equal(world.ec2.instance(HERE.instanceId).stateReason, 'Client.UserInitiatedHibernate');
    assert.equal(world.ec2.instance(HERE.instanceId).state, 'stopping');
  });

  test('SNOOZEBOT_DRY_RUN=true: stop and start succeed and EC2 is never asked to change anything', async (t) => {
    const world = await startWorld(t);
    const plugin = await startAwsPlugin(t, world.env({ SNOOZEBOT_DRY_RUN: 'true', SNOOZEBOT_AWS_HIBERNATE: 'true' }));
    await plugin.client.stopInstance();
    await plugin.client.startInstance();
    assert.deepEqual(world.ec2.calls('StopInstances'), []);
    assert.deepEqual(world.ec2.calls('StartInstances'), []);
    assert.equal(world.ec2.instance(HERE.instanceId).state, 'running');
    assert.equal((await plugin.client.instanceInfo()).state, 'running');
  });

  test('off EC2: SNOOZEBOT_AWS_INSTANCE_ID and AWS_REGION are enough; IMDS is never asked', async (t) => {
    const other: InstanceSeed = { id: 'i-0aaaabbbbccccdddd', name: 'elsewhere', zone: 'eu-west-1c', type: 'c7i.large' };
    const world = await startWorld(t, { ec2: { instances: [HERE_SEED, other] } });
    const plugin = await startAwsPlugin(t, world.env({ SNOOZEBOT_AWS_INSTANCE_ID: other.id, AWS_REGION: 'eu-west-1' }));
    const info = await plugin.client.instanceInfo();
    assert.equal(info.id, other.id);
    assert.equal(info.name, 'elsewhere');
    assert.equal(info.zone, 'eu-west-1c', 'the zone comes from EC2 when IMDS is not asked');
    assert.equal(info.type, 'c7i.large');
    await plugin.client.stopInstance();
    assert.equal(world.ec2.instance(other.id).state, 'stopping');
    assert.equal(world.ec2.instance(HERE.instanceId).state, 'running');
    assert.equal(world.imds.requests.length, 0);
  });

  test('instance role: with no keys in the environment the SDK takes the role credentials from IMDS', async (t) => {
    const role = {
      name: 'snoozebot-role',
      credentials: { accessKeyId: 'ASIASNOOZEBOTROLE001', secretAccessKey: 'role/secret/abc', sessionToken: 'role-session-token-xyz' },
    };
    const world = await startWorld(t, { ec2: { credentials: [role.credentials] }, imds: { role } });
    const plugin = await startAwsPlugin(t, world.env({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }));
    assert.equal((await plugin.client.instanceInfo()).name, 'build-box');
    assertAllSigned(world, role.credentials.accessKeyId);
    assert.ok(world.imds.requests.some((r) => r.path === `/latest/meta-data/iam/security-credentials/${role.name}` && r.status === 200));
  });

  test('list: every page of DescribeInstances, terminated ones left out, optional tag filter', async (t) => {
    const seeds: InstanceSeed[] = [HERE_SEED];
    for (let i = 1; i <= 11; i++) {
      seeds.push({
        id: `i-${i.toString(16).padStart(17, '0')}`,
        name: `worker-${i}`,
        tags: { team: i % 2 === 0 ? 'blue' : 'red' },
        state: i === 11 ? 'terminated' : i % 3 === 0 ? 'stopped' : 'running',
      });
    }
    const world = await startWorld(t, { ec2: { instances: seeds, pageLimit: 5 } });
    const all = await startAwsPlugin(t, world.env());
    const listed = await all.client.listInstances();
    assert.deepEqual(
      listed.map((i) => i.name),
      ['build-box', ...Array.from({ length: 10 }, (_, i) => `worker-${i + 1}`)],
    );
    assert.ok(listed.every((i) => i.region === HERE.region));
    assert.equal(listed.find((i) => i.name === 'worker-3')?.state, 'stopped');
    const pages = world.ec2.calls('DescribeInstances');
    assert.equal(pages.length, 3, '11 instances at 5 a page');
    assert.equal(pages[0]?.params.NextToken, undefined);
    assert.ok(pages.slice(1).every((p) => p.params.NextToken !== undefined));

    const blue = await startAwsPlugin(t, world.env({ SNOOZEBOT_AWS_LIST_TAG: 'team=blue' }));
    assert.deepEqual(
      (await blue.client.listInstances()).map((i) => i.name),
      ['build-box', 'worker-2', 'worker-4', 'worker-6', 'worker-8', 'worker-10'],
    );
  });

  test('a clean stop of the plugin leaves nothing behind', async (t) => {
    const world = await startWorld(t);
    const plugin = await startAwsPlugin(t, world.env());
    await plugin.client.instanceInfo();
    const pgid = plugin.pid;
    assert.ok(pgid !== undefined);
    await plugin.stop();
    assert.equal(plugin.exitInfo?.code, 0);
    await assertGroupGone(pgid);
  });
});
