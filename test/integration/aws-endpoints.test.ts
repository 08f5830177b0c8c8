// The local EC2 endpoint itself, driven by the real SDK in this process and
// by hand-signed requests: it must refuse what EC2 refuses, or the plugin
// tests would prove nothing. Also the plugin's Ec2 class against it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { DescribeInstancesCommand, EC2Client, StartInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { SignatureV4 } from '@smithy/signature-v4';
import { Ec2 } from '../../plugins/aws/ec2.js';
import { PluginError } from '../../src/sdk/errors.js';
import { Ec2Endpoint, queryFilters, queryList } from '../aws/ec2-endpoint.js';
import type { Ec2EndpointOptions } from '../aws/ec2-endpoint.js';
import { NodeSha256 } from '../aws/sigv4.js';
import type { TestCredentials } from '../aws/sigv4.js';
import { HERE, HERE_SEED, TEST_CREDENTIALS } from '../aws/world.js';

async function endpoint(t: TestContext, options: Partial<Ec2EndpointOptions> = {}): Promise<Ec2Endpoint> {
  const ec2 = await Ec2Endpoint.start({ region: HERE.region, credentials: [TEST_CREDENTIALS], instances: [HERE_SEED], ...options });
  t.after(() => ec2.close());
  return ec2;
}

function sdk(ec2: Ec2Endpoint, credentials: TestCredentials = TEST_CREDENTIALS, region: string = HERE.region): EC2Client {
  return new EC2Client({ region, endpoint: ec2.url, credentials, maxAttempts: 1 });
}

function awsError(code: string, status: number) {
  return (error: unknown): true => {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    assert.equal(e.name, code, String(error));
    assert.equal(e.$metadata?.httpStatusCode, status);
    return true;
  };
}

const DESCRIBE_SELF = new DescribeInstancesCommand({ InstanceIds: [HERE.instanceId] });

/** A DescribeInstances POST signed by hand, to send as is or tampered with. */
async function signedDescribe(ec2: Ec2Endpoint, body: string, credentials: TestCredentials = TEST_CREDENTIALS) {
  const url = new URL(ec2.url);
  const signer = new SignatureV4({ credentials, region: HERE.region, service: 'ec2', sha256: NodeSha256 });
  return signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: {},
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
}

function post(ec2: Ec2Endpoint, headers: Record<string, string>, body: string): Promise<Response> {
  return fetch(`${ec2.url}/`, { method: 'POST', headers, body });
}

const BODY = `Action=DescribeInstances&Version=2016-11-15&InstanceId.1=${HERE.instanceId}`;

describe('local EC2 endpoint: signatures', () => {
  test('accepts the SDK signing with the test key', async (t) => {
    const ec2 = await endpoint(t);
    const answer = await sdk(ec2).send(DESCRIBE_SELF);
    assert.equal(answer.Reservations?.[0]?.Instances?.[0]?.InstanceId, HERE.instanceId);
    assert.equal(ec2.requests[0]?.accessKeyId, TEST_CREDENTIALS.accessKeyId);
  });

  test('refuses a wrong secret, an unknown key and another region with AuthFailure 401', async (t) => {
    const ec2 = await endpoint(t);
    await assert.rejects(sdk(ec2, { ...TEST_CREDENTIALS, secretAccessKey: 'wrong' }).send(DESCRIBE_SELF), awsError('AuthFailure', 401));
    await assert.rejects(sdk(ec2, { ...TEST_CREDENTIALS, accessKeyId: 'AKIAUNKNOWN' }).send(DESCRIBE_SELF), awsError('AuthFailure', 401));
    await assert.rejects(sdk(ec2, TEST_CREDENTIALS, 'us-east-1').send(DESCRIBE_SELF), awsError('AuthFailure', 401));
    assert.deepEqual(ec2.calls('DescribeInstances'), [], 'none of them got through');
  });

  test('a hand-signed request passes; the same request with its body changed does not', async (t) => {
    const ec2 = await endpoint(t);
    const signed = await signedDescribe(ec2, BODY);
    const headers = signed.headers as Record<string, string>;
    const good = await post(ec2, headers, BODY);
    assert.equal(good.status, 200, await good.clone().text());
    assert.match(await good.text(), /<instanceId>i-0123456789abcdef0<\/instanceId>/);

    const tampered = await post(ec2, headers, BODY.replace('DescribeInstances', 'StopInstances'));
    assert.equal(tampered.status, 401);
    assert.match(await tampered.text(), /<Code>AuthFailure<\/Code>.*<RequestID>[0-9a-f-]{36}<\/RequestID>/s);
    assert.equal(ec2.instance(HERE.instanceId).state, 'running');

    const unsigned = await post(ec2, { 'content-type': 'application/x-www-form-urlencoded' }, BODY);
    assert.equal(unsigned.status, 401);
    assert.match(await unsigned.text(), /<Code>MissingAuthenticationToken<\/Code>/);
  });

  test('requires a session token for keys that have one', async (t) => {
    const role = { accessKeyId: 'ASIAROLE', secretAccessKey: 'role-secret', sessionToken: 'token-1' };
    const ec2 = await endpoint(t, { credentials: [role] });
    await sdk(ec2, role).send(DESCRIBE_SELF);
    await assert.rejects(sdk(ec2, { ...role, sessionToken: 'token-2' }).send(DESCRIBE_SELF), awsError('AuthFailure', 401));
  });
});

describe('local EC2 endpoint: EC2 behaviour', () => {
  test('the state machine: stop → stopping (one Describe) → stopped; start → pending → running', async (t) => {
    const ec2 = await endpoint(t);
    const client = sdk(ec2);
    const state = async () => (await client.send(DESCRIBE_SELF)).Reservations?.[0]?.Instances?.[0]?.State;
    const stopped = await client.send(new StopInstancesCommand({ InstanceIds: [HERE.instanceId] }));
    assert.deepEqual(stopped.StoppingInstances?.[0]?.PreviousState, { Code: 16, Name: 'running' });
    assert.deepEqual(stopped.StoppingInstances?.[0]?.CurrentState, { Code: 64, Name: 'stopping' });
    await assert.rejects(client.send(new StartInstancesCommand({ InstanceIds: [HERE.instanceId] })), awsError('IncorrectInstanceState', 400));
    assert.deepEqual(await state(), { Code: 64, Name: 'stopping' });
    assert.deepEqual(await state(), { Code: 80, Name: 'stopped' });
    await client.send(new StartInstancesCommand({ InstanceIds: [HERE.instanceId] }));
    assert.deepEqual(await state(), { Code: 0, Name: 'pending' });
    await assert.rejects(client.send(new StopInstancesCommand({ InstanceIds: [HERE.instanceId] })), awsError('IncorrectInstanceState', 400));
    assert.deepEqual(await state(), { Code: 16, Name: 'running' });
  });

  test('transitionDescribes: 0 completes a transition at the next Describe', async (t) => {
    const ec2 = await endpoint(t, { transitionDescribes: 0 });
    const client = sdk(ec2);
    await client.send(new StopInstancesCommand({ InstanceIds: [HERE.instanceId] }));
    assert.equal((await client.send(DESCRIBE_SELF)).Reservations?.[0]?.Instances?.[0]?.State?.Name, 'stopped');
  });

  test('answers EC2 parameter errors and DryRun as EC2 does', async (t) => {
    const ec2 = await endpoint(t);
    const client = sdk(ec2);
    await assert.rejects(
      client.send(new DescribeInstancesCommand({ InstanceIds: [HERE.instanceId], MaxResults: 5 })),
      awsError('InvalidParameterCombination', 400),
    );
    await assert.rejects(client.send(new DescribeInstancesCommand({ MaxResults: 2 })), awsError('InvalidParameterValue', 400));
    await assert.rejects(client.send(new DescribeInstancesCommand({ InstanceIds: ['i-nope'] })), awsError('InvalidInstanceID.Malformed', 400));
    await assert.rejects(
      client.send(new DescribeInstancesCommand({ InstanceIds: ['i-00000000000000001'] })),
      awsError('InvalidInstanceID.NotFound', 400),
    );
    await assert.rejects(
      client.send(new StopInstancesCommand({ InstanceIds: [HERE.instanceId], DryRun: true })),
      awsError('DryRunOperation', 412),
    );
    assert.equal(ec2.instance(HERE.instanceId).state, 'running');
  });

  test('answers injected faults with their usual status, a set number of times', async (t) => {
    const ec2 = await endpoint(t);
    const client = sdk(ec2);
    ec2.failNext('*', { code: 'RequestLimitExceeded' }, 2);
    await assert.rejects(client.send(DESCRIBE_SELF), awsError('RequestLimitExceeded', 503));
    await assert.rejects(client.send(DESCRIBE_SELF), awsError('RequestLimitExceeded', 503));
    await client.send(DESCRIBE_SELF);
    ec2.deny('StopInstances');
    await assert.rejects(client.send(new StopInstancesCommand({ InstanceIds: [HERE.instanceId] })), awsError('UnauthorizedOperation', 403));
  });

  test('Query lists and filters are read in index order', () => {
    const params = { 'InstanceId.2': 'b', 'InstanceId.10': 'c', 'InstanceId.1': 'a', 'Filter.2.Name': 'tag:x', 'Filter.2.Value.1': 'y', 'Filter.1.Name': 'instance-state-name', 'Filter.1.Value.2': 'stopped', 'Filter.1.Value.1': 'running' };
    assert.deepEqual(queryList(params, 'InstanceId'), ['a', 'b', 'c']);
    assert.deepEqual(queryFilters(params), [
      { name: 'instance-state-name', values: ['running', 'stopped'] },
      { name: 'tag:x', values: ['y'] },
    ]);
  });
});

describe("the plugin's Ec2 class against the local endpoint", () => {
  function ec2Of(ec2: Ec2Endpoint): Ec2 {
    return new Ec2({ region: HERE.region, endpoint: ec2.url, client: { endpoint: ec2.url, credentials: TEST_CREDENTIALS, maxAttempts: 1 } });
  }
  const signal = new AbortController().signal;

  test('describe maps the record; list reads every page', async (t) => {
    const instances = [HERE_SEED, ...Array.from({ length: 7 }, (_, i) => ({ id: `i-0000000000000000${i}`, tags: { n: String(i) } }))];
    const ec2 = await endpoint(t, { instances, pageLimit: 3 });
    const client = ec2Of(ec2);
    assert.deepEqual(await client.describe(HERE.instanceId, signal), {
      id: HERE.instanceId,
      state: 'running',
      region: HERE.region,
      name: 'build-box',
      type: HERE.type,
      zone: HERE.zone,
      launchTime: new Date('2024-03-04T05:06:07.000Z'),
    });
    const listed = await client.list(undefined, signal);
    assert.equal(listed.length, 8);
    assert.equal(listed.filter((i) => i.name === undefined).length, 7, 'no Name tag, no name');
    assert.equal(ec2.calls('DescribeInstances').length, 1 + 3, 'one describe, three pages');
  });

  test('failures come back as PluginErrors, already mapped', async (t) => {
    const ec2 = await endpoint(t);
    ec2.deny('StopInstances');
    await assert.rejects(ec2Of(ec2).stop(HERE.instanceId, false, signal), (error: unknown) => {
      assert.ok(error instanceof PluginError);
      assert.equal(error.code, 'PERMISSION_DENIED');
      return true;
    });
  });

  test('an aborted call is CANCELLED', async (t) => {
    const ec2 = await endpoint(t);
    const controller = new AbortController();
    controller.abort(new Error('host gave up'));
    await assert.rejects(ec2Of(ec2).describe(HERE.instanceId, controller.signal), (error: unknown) => {
      assert.ok(error instanceof PluginError);
      assert.equal(error.code, 'CANCELLED');
      return true;
    });
  });
});
