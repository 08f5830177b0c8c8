// Each failure the GCP plugin maps reaches our host as HostError PLUGIN_CALL
// with the expected gRPC status and a message naming the cause and the fix;
// after each the plugin still serves.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PluginProcess } from '../../src/host/plugin-process.js';
import { unreachableEndpoint } from '../aws/imds-server.js';
import { pluginCall, stillServing as servingAs } from '../helpers/plugin-call.js';
import { HERE, startGcpPlugin, startGcpWorld } from '../gcp/world.js';

const RESOURCE = `projects/${HERE.project}/zones/${HERE.zone}/instances/${HERE.instance}`;

const stillServing = (plugin: PluginProcess) => servingAs(plugin, 'gcp');

describe('gcp plugin errors through the host', () => {
  test('no service account on the instance → UNAUTHENTICATED saying to attach one', async (t) => {
    const world = await startGcpWorld(t, { metadata: { serviceAccount: undefined } });
    const plugin = await startGcpPlugin(t, world.env());
    await assert.rejects(
      plugin.client.instanceInfo(),
      pluginCall('UNAUTHENTICATED', /Compute instances\.get failed: no usable Google credentials/, /give the instance a service account/),
    );
    assert.deepEqual(world.compute.requests, [], 'Compute was never called without a token');
    await stillServing(plugin);
  });

  test('a missing permission → PERMISSION_DENIED naming it; reads still work', async (t) => {
    const world = await startGcpWorld(t);
    world.compute.deny('compute.instances.stop');
    const plugin = await startGcpPlugin(t, world.env());
    await assert.rejects(
      plugin.client.stopInstance(),
      pluginCall(
        'PERMISSION_DENIED',
        new RegExp(`forbidden: this plugin's service account may not call instances\\.stop \\(compute\\.instances\\.stop\\): Required 'compute\\.instances\\.stop' permission for '${RESOURCE}'`),
        /grant compute\.instances\.stop to the service account/,
      ),
    );
    assert.equal((await plugin.client.instanceInfo()).state, 'running');
    assert.equal(world.compute.status(HERE.instance), 'RUNNING');
    await stillServing(plugin);
  });

  test('access scopes without Compute → PERMISSION_DENIED about the scopes', async (t) => {
    const world = await startGcpWorld(t, {
      metadata: { serviceAccount: { email: 'sa@p.iam.gserviceaccount.com', scopes: ['https://www.googleapis.com/auth/devstorage.read_only'] } },
    });
    const plugin = await startGcpPlugin(t, world.env());
    await assert.rejects(
      plugin.client.instanceInfo(),
      pluginCall('PERMISSION_DENIED', /ACCESS_TOKEN_SCOPE_INSUFFICIENT: the instance's access scopes do not allow the Compute API/, /cloud-platform/),
    );
  });

  test('an instance that does not exist → NOT_FOUND naming it', async (t) => {
    const world = await startGcpWorld(t);
    const plugin = await startGcpPlugin(t, world.env({ SNOOZEBOT_GCP_INSTANCE: 'gone' }));
    await assert.rejects(
      plugin.client.instanceInfo(),
      pluginCall('NOT_FOUND', /notFound: The resource 'projects\/snoozebot-test\/zones\/europe-west1-b\/instances\/gone' was not found/, /SNOOZEBOT_GCP_INSTANCE/),
    );
    await stillServing(plugin);
  });

  test('throttling: reads are retried; once the retries run out → UNAVAILABLE; a throttled stop is not retried', async (t) => {
    const world = await startGcpWorld(t);
    const plugin = await startGcpPlugin(t, world.env({ SNOOZEBOT_GCP_MAX_ATTEMPTS: '2' }));
    const throttled = { status: 429, reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded', grpcStatus: 'RESOURCE_EXHAUSTED' };
    world.compute.failNext('instances.get', throttled);
    assert.equal((await plugin.client.instanceInfo()).state, 'running');
    assert.deepEqual(world.compute.calls('instances.get').map((r) => r.status), [429, 200]);

    world.compute.failAlways('instances.get', throttled);
    await assert.rejects(
      plugin.client.instanceInfo(),
      pluginCall('UNAVAILABLE', /rateLimitExceeded: Compute Engine is throttling this project's requests: Rate Limit Exceeded/, /try again in a minute/),
    );
    assert.equal(world.compute.calls('instances.get').length, 4);
    world.compute.clearFaults();

    world.compute.failNext('instances.stop', throttled);
    await assert.rejects(plugin.client.stopInstance(), pluginCall('UNAVAILABLE', /throttling/));
    assert.equal(world.compute.calls('instances.stop').length, 1, 'a POST is never retried');
    assert.equal(world.compute.status(HERE.instance), 'RUNNING');
  });

  test('stopping an instance with an operation still running → FAILED_PRECONDITION (resourceNotReady)', async (t) => {
    const world = await startGcpWorld(t);
    const plugin = await startGcpPlugin(t, world.env({ SNOOZEBOT_GCP_OPERATION_TIMEOUT_MS: '300' }));
    world.compute.stallOperations();
    await assert.rejects(plugin.client.stopInstance(), pluginCall('DEADLINE_EXCEEDED'));
    await assert.rejects(
      plugin.client.stopInstance(),
      pluginCall('FAILED_PRECONDITION', new RegExp(`resourceNotReady: The resource '${RESOURCE}' is not ready`), /changing state/),
    );
    await stillServing(plugin);
  });

  test('an operation still PENDING at the deadline → DEADLINE_EXCEEDED naming it', async (t) => {
    const world = await startGcpWorld(t);
    world.compute.stallOperations();
    const plugin = await startGcpPlugin(t, world.env({ SNOOZEBOT_GCP_OPERATION_TIMEOUT_MS: '600' }));
    await assert.rejects(
      plugin.client.stopInstance(),
      pluginCall('DEADLINE_EXCEEDED', /instances\.stop: operation operation-\S+ was still PENDING after 1 s/, /gcloud compute operations describe operation-/),
    );
    assert.ok(world.compute.calls('zoneOperations.get').length >= 1, 'the operation was polled');
    await stillServing(plugin);
  });

  test('a Compute API that never answers → DEADLINE_EXCEEDED after the request timeout', async (t) => {
    const world = await startGcpWorld(t);
    const plugin = await startGcpPlugin(t, world.env({ SNOOZEBOT_GCP_REQUEST_TIMEOUT_MS: '300', SNOOZEBOT_GCP_MAX_ATTEMPTS: '1' }));
    world.compute.hang();
    await assert.rejects(plugin.client.instanceInfo(), pluginCall('DEADLINE_EXCEEDED', /did not answer in time/, /SNOOZEBOT_GCP_REQUEST_TIMEOUT_MS/));
    world.compute.hang(false);
    assert.equal((await plugin.client.instanceInfo()).state, 'running');
  });

  test('an operation that ends in an error (no capacity in the zone) → UNAVAILABLE with the Compute error code', async (t) => {
    const world = await startGcpWorld(t, { compute: { instances: [{ name: HERE.instance, id: HERE.instanceId, status: 'TERMINATED' }] } });
    world.compute.failOperations('ZONE_RESOURCE_POOL_EXHAUSTED', "The zone 'projects/snoozebot-test/zones/europe-west1-b' does not have enough resources available to fulfill the request.");
    const plugin = await startGcpPlugin(t, world.env());
    await assert.rejects(
      plugin.client.startInstance(),
      pluginCall('UNAVAILABLE', /instances\.start operation operation-\S+ failed: ZONE_RESOURCE_POOL_EXHAUSTED/, /no capacity/),
    );
    assert.equal(world.compute.status(HERE.instance), 'TERMINATED');
  });

  test('metadata server unreachable or hanging → UNAVAILABLE; nothing asked of Compute', async (t) => {
    const world = await startGcpWorld(t);
    const closed = new URL(await unreachableEndpoint()).host;
    const refused = await startGcpPlugin(t, world.env({ GCE_METADATA_HOST: closed }));
    await assert.rejects(
      refused.client.instanceInfo(),
      pluginCall('UNAVAILABLE', new RegExp(`cannot tell which GCE instance this is: the metadata server at http://${closed.replace(/[.:]/g, '\\$&')} did not answer`), /off GCE, set SNOOZEBOT_GCP_PROJECT/),
    );
    world.metadata.setMode('hang');
    const hanging = await startGcpPlugin(t, world.env({ SNOOZEBOT_GCP_METADATA_TIMEOUT_MS: '200' }));
    await assert.rejects(hanging.client.instanceInfo(), pluginCall('UNAVAILABLE', /did not answer: no answer in time/));
    assert.deepEqual(world.compute.requests, []);
    await stillServing(hanging);
  });

  test('a server that answers without Metadata-Flavor: Google is not taken for the metadata server', async (t) => {
    const world = await startGcpWorld(t);
    // The Compute endpoint answers JSON without the header.
    const plugin = await startGcpPlugin(t, world.env({ GCE_METADATA_HOST: new URL(world.compute.url).host }));
    await assert.rejects(plugin.client.instanceInfo(), pluginCall('UNAVAILABLE', /without "Metadata-Flavor: Google": not a GCE metadata server/));
  });

  test('Compute unreachable → UNAVAILABLE naming the endpoint', async (t) => {
    const world = await startGcpWorld(t);
    const closed = `${await unreachableEndpoint()}/compute/v1`;
    const plugin = await startGcpPlugin(t, world.env({ SNOOZEBOT_GCP_COMPUTE_ENDPOINT: closed, SNOOZEBOT_GCP_MAX_ATTEMPTS: '1' }));
    await assert.rejects(plugin.client.instanceInfo(), pluginCall('UNAVAILABLE', /cannot reach http:\/\/127\.0\.0\.1:\d+\/compute\/v1 \(ECONNREFUSED/));
    await stillServing(plugin);
  });

  test('a malformed SNOOZEBOT_GCP_LIST_LABEL fails ListInstances only', async (t) => {
    const world = await startGcpWorld(t);
    const plugin = await startGcpPlugin(t, world.env({ SNOOZEBOT_GCP_LIST_LABEL: 'Team=Blue" OR name = "x' }));
    await assert.rejects(plugin.client.listInstances(), pluginCall('FAILED_PRECONDITION', /SNOOZEBOT_GCP_LIST_LABEL must look like key=value/));
    assert.deepEqual(world.compute.calls('instances.list'), []);
    assert.equal((await plugin.client.instanceInfo()).id, HERE.instanceId);
  });
});
