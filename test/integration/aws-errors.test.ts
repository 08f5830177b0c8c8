// Each failure the AWS plugin maps reaches our host as HostError PLUGIN_CALL
// with the expected gRPC status and a message naming the cause and the fix;
// after each the plugin still serves.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HostError } from '../../src/host/errors.js';
import type { PluginProcess } from '../../src/host/plugin-process.js';
import { unreachableEndpoint } from '../aws/imds-server.js';
import { pluginCall, stillServing as servingAs } from '../helpers/plugin-call.js';
import { HERE, startAwsPlugin, startWorld } from '../aws/world.js';

const stillServing = (plugin: PluginProcess) => servingAs(plugin, 'aws');

describe('aws plugin errors through the host', () => {
  test('IncorrectInstanceState → FAILED_PRECONDITION', async (t) => {
    const world = await startWorld(t);
    world.ec2.setState(HERE.instanceId, 'pending');
    const plugin = await startAwsPlugin(t, world.env());
    await assert.rejects(
      plugin.client.stopInstance(),
      pluginCall(
        'FAILED_PRECONDITION',
        /StopInstance failed: FAILED_PRECONDITION: EC2 StopInstances failed: IncorrectInstanceState: The instance 'i-0123456789abcdef0' is not in a state from which it can be stopped/,
        /wait until it is running or stopped/,
      ),
    );
    assert.equal(world.ec2.instance(HERE.instanceId).state, 'pending');
    await stillServing(plugin);
  });

  test('UnauthorizedOperation → PERMISSION_DENIED naming the missing action', async (t) => {
    const world = await startWorld(t);
    world.ec2.deny('StopInstances', `arn:aws:ec2:${HERE.region}:123456789012:instance/${HERE.instanceId}`);
    world.ec2.deny('StartInstances');
    const plugin = await startAwsPlugin(t, world.env());
    await assert.rejects(
      plugin.client.stopInstance(),
      pluginCall('PERMISSION_DENIED', /UnauthorizedOperation: this plugin's credentials may not call ec2:StopInstances/, /allow ec2:StopInstances in the instance role's policy/),
    );
    await assert.rejects(plugin.client.startInstance(), pluginCall('PERMISSION_DENIED', /may not call ec2:StartInstances/));
    await assert.rejects(plugin.client.stopInstance(), (error: unknown) => {
      assert.ok(error instanceof HostError);
      assert.doesNotMatch(error.message, /Encoded authorization failure message/);
      return true;
    });
    // Describe is allowed: the plugin still reads its instance.
    assert.equal((await plugin.client.instanceInfo()).state, 'running');
    await stillServing(plugin);
  });

  test('InvalidInstanceID.NotFound and .Malformed → NOT_FOUND naming the instance', async (t) => {
    const world = await startWorld(t);
    const missing = await startAwsPlugin(t, world.env({ SNOOZEBOT_AWS_INSTANCE_ID: 'i-0000000000000dead', AWS_REGION: HERE.region }));
    await assert.rejects(
      missing.client.instanceInfo(),
      pluginCall('NOT_FOUND', /InvalidInstanceID\.NotFound: The instance ID 'i-0000000000000dead' does not exist/, /instance i-0000000000000dead in region eu-west-1/),
    );
    await assert.rejects(missing.client.stopInstance(), pluginCall('NOT_FOUND', /EC2 StopInstances failed: InvalidInstanceID\.NotFound/));
    await stillServing(missing);
    const malformed = await startAwsPlugin(t, world.env({ SNOOZEBOT_AWS_INSTANCE_ID: 'my-server', AWS_REGION: HERE.region }));
    await assert.rejects(malformed.client.instanceInfo(), pluginCall('NOT_FOUND', /InvalidInstanceID\.Malformed: Invalid id: "my-server"/));
  });

  test('throttling: the SDK retries; once it gives up → UNAVAILABLE', async (t) => {
    const world = await startWorld(t);
    const plugin = await startAwsPlugin(t, world.env({ AWS_MAX_ATTEMPTS: '2' }));
    // One throttled answer: the SDK's retry hides it.
    world.ec2.failNext('DescribeInstances', { code: 'RequestLimitExceeded' });
    assert.equal((await plugin.client.instanceInfo()).state, 'running');
    assert.deepEqual(world.ec2.calls('DescribeInstances').map((r) => r.status), [503, 200]);

    world.ec2.failAlways('DescribeInstances', { code: 'RequestLimitExceeded' });
    await assert.rejects(
      plugin.client.instanceInfo(),
      pluginCall('UNAVAILABLE', /RequestLimitExceeded: EC2 is throttling this account's requests after 2 attempts: Request limit exceeded\./, /try again in a minute/),
    );
    assert.equal(world.ec2.calls('DescribeInstances').length, 4, 'two attempts for the failed call');
    world.ec2.clearFaults();
    assert.equal((await plugin.client.instanceInfo()).state, 'running');
  });

  test('EC2 InternalError (500) after retries → UNAVAILABLE', async (t) => {
    const world = await startWorld(t);
    world.ec2.failAlways('StopInstances', { code: 'InternalError' });
    const plugin = await startAwsPlugin(t, world.env({ AWS_MAX_ATTEMPTS: '2' }));
    await assert.rejects(plugin.client.stopInstance(), pluginCall('UNAVAILABLE', /InternalError: An internal error has occurred\./));
    assert.equal(world.ec2.calls('StopInstances').length, 2);
    assert.equal(world.ec2.instance(HERE.instanceId).state, 'running');
  });

  test('hibernation not configured → FAILED_PRECONDITION with hibernation advice', async (t) => {
    const world = await startWorld(t);
    const plugin = await startAwsPlugin(t, world.env({ SNOOZEBOT_AWS_HIBERNATE: 'true' }));
    await assert.rejects(
      plugin.client.stopInstance(),
      pluginCall('FAILED_PRECONDITION', /UnsupportedHibernationConfiguration/, /unset SNOOZEBOT_AWS_HIBERNATE/),
    );
    assert.equal(world.ec2.instance(HERE.instanceId).state, 'running');
  });

  test('no credentials anywhere → UNAUTHENTICATED telling to attach an instance role', async (t) => {
    const world = await startWorld(t);
    const plugin = await startAwsPlugin(t, world.env({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }));
    await assert.rejects(
      plugin.client.instanceInfo(),
      pluginCall(
        'UNAUTHENTICATED',
        /no AWS credentials found/,
        /attach an instance role with ec2:DescribeInstances, ec2:StopInstances, ec2:StartInstances/,
      ),
    );
    assert.deepEqual(world.ec2.requests, [], 'nothing unsigned was sent');
    await stillServing(plugin);
  });

  test('a wrong secret: the endpoint refuses the signature (AuthFailure 401) → UNAUTHENTICATED', async (t) => {
    const world = await startWorld(t);
    const plugin = await startAwsPlugin(t, world.env({ AWS_SECRET_ACCESS_KEY: 'not-the-secret', AWS_MAX_ATTEMPTS: '1' }));
    await assert.rejects(
      plugin.client.instanceInfo(),
      pluginCall('UNAUTHENTICATED', /AuthFailure: AWS was not able to validate the provided access credentials/, /clock/),
    );
    assert.deepEqual(world.ec2.requests.map((r) => [r.status, r.errorCode]), [[401, 'AuthFailure']]);
  });

  test('IMDS unreachable → UNAVAILABLE with what to do; the plugin keeps serving and recovers', async (t) => {
    const world = await startWorld(t);
    const closed = await unreachableEndpoint();
    const plugin = await startAwsPlugin(t, world.env({ AWS_EC2_METADATA_SERVICE_ENDPOINT: closed }));
    for (const call of [() => plugin.client.instanceInfo(), () => plugin.client.stopInstance(), () => plugin.client.listInstances()]) {
      await assert.rejects(
        call(),
        pluginCall(
          'UNAVAILABLE',
          /cannot tell which EC2 instance this is: the instance metadata service at http:\/\/127\.0\.0\.1:\d+ did not answer/,
          /off EC2, set SNOOZEBOT_AWS_INSTANCE_ID and AWS_REGION/,
        ),
      );
    }
    assert.deepEqual(world.ec2.requests, []);
    await stillServing(plugin);
  });

  test('IMDS that never answers → UNAVAILABLE after the short IMDS timeout', async (t) => {
    const world = await startWorld(t);
    world.imds.setMode('hang');
    const plugin = await startAwsPlugin(t, world.env({ SNOOZEBOT_AWS_IMDS_TIMEOUT_MS: '200' }));
    await assert.rejects(plugin.client.instanceInfo(), pluginCall('UNAVAILABLE', /instance metadata service at .* did not answer/));
    await stillServing(plugin);
  });

  test('EC2 unreachable → UNAVAILABLE naming the endpoint', async (t) => {
    const world = await startWorld(t);
    const closed = await unreachableEndpoint();
    const plugin = await startAwsPlugin(t, world.env({ AWS_ENDPOINT_URL_EC2: closed, AWS_MAX_ATTEMPTS: '1' }));
    await assert.rejects(
      plugin.client.instanceInfo(),
      pluginCall('UNAVAILABLE', new RegExp(`cannot reach ${closed.replace(/[.:/]/g, '\\$&')} \\(ECONNREFUSED`), /outbound HTTPS to EC2/),
    );
    await stillServing(plugin);
  });

  test('a malformed SNOOZEBOT_AWS_LIST_TAG fails ListInstances only', async (t) => {
    const world = await startWorld(t);
    const plugin = await startAwsPlugin(t, world.env({ SNOOZEBOT_AWS_LIST_TAG: 'team' }));
    await assert.rejects(plugin.client.listInstances(), pluginCall('FAILED_PRECONDITION', /SNOOZEBOT_AWS_LIST_TAG must look like Key=Value/));
    assert.equal((await plugin.client.instanceInfo()).id, HERE.instanceId);
  });
});
