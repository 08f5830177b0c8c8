// whereAmI against the local IMDS server (real HTTP, the SDK's metadata
// client), and its environment overrides.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { IMDS_IPV4_ENDPOINT } from '../../plugins/aws/config.js';
import { imdsEndpointLabel, rememberWhereabouts, whereAmI } from '../../plugins/aws/where-am-i.js';
import type { Whereabouts } from '../../plugins/aws/where-am-i.js';
import { PluginError } from '../../src/sdk/errors.js';
import { ImdsServer, unreachableEndpoint } from '../aws/imds-server.js';

const IDENTITY = { instanceId: 'i-0fedcba9876543210', region: 'ap-southeast-2', zone: 'ap-southeast-2c', type: 'm7g.large' };

async function imds(t: TestContext): Promise<ImdsServer> {
  const server = await ImdsServer.start(IDENTITY);
  t.after(() => server.close());
  return server;
}

function config(endpoint: string, overrides: { instanceId?: string; region?: string; imdsTimeoutMs?: number } = {}) {
  return { instanceId: undefined, region: undefined, imdsTimeoutMs: 1_000, imdsEndpoint: endpoint, ...overrides };
}

function unavailable(pattern: RegExp) {
  return (error: unknown): true => {
    assert.ok(error instanceof PluginError, String(error));
    assert.equal(error.code, 'UNAVAILABLE');
    assert.match(error.message, pattern);
    assert.match(error.hint ?? '', /off EC2, set SNOOZEBOT_AWS_INSTANCE_ID and AWS_REGION/);
    return true;
  };
}

describe('whereAmI', () => {
  it('reads id, region, zone and type with one IMDSv2 token carried by every GET', async (t) => {
    const server = await imds(t);
    assert.deepEqual(await whereAmI(config(server.url)), IDENTITY);
    const [put, ...gets] = server.requests;
    assert.equal(put?.method, 'PUT');
    assert.equal(put?.path, '/latest/api/token');
    assert.equal(put?.status, 200);
    assert.deepEqual(
      gets.map((r) => r.path).sort(),
      ['instance-id', 'instance-type', 'placement/availability-zone', 'placement/region'].map((p) => `/latest/meta-data/${p}`),
    );
    assert.ok(gets.every((r) => r.method === 'GET' && r.withToken && r.status === 200));
  });

  it('the environment wins; with both overrides IMDS is not asked at all', async (t) => {
    const server = await imds(t);
    assert.deepEqual(await whereAmI(config(server.url, { instanceId: 'i-0123456789abcdef0', region: 'eu-west-1' })), {
      instanceId: 'i-0123456789abcdef0',
      region: 'eu-west-1',
      zone: undefined,
      type: undefined,
    });
    assert.equal(server.requests.length, 0);
  });

  it('one override: the other facts still come from IMDS', async (t) => {
    const server = await imds(t);
    assert.deepEqual(await whereAmI(config(server.url, { region: 'us-east-2' })), { ...IDENTITY, region: 'us-east-2' });
    assert.deepEqual(await whereAmI(config(server.url, { instanceId: 'i-0aaaaaaaaaaaaaaaa' })), {
      ...IDENTITY,
      instanceId: 'i-0aaaaaaaaaaaaaaaa',
    });
  });

  it('IMDS unreachable → UNAVAILABLE naming the endpoint, with what to do', async () => {
    const closed = await unreachableEndpoint();
    await assert.rejects(
      whereAmI(config(closed)),
      unavailable(new RegExp(`instance metadata service at ${closed.replace(/[.:/]/g, '\\$&')} did not answer: .*ECONNREFUSED`)),
    );
  });

  it('IMDS that accepts and never answers → UNAVAILABLE once the short timeout passes', async (t) => {
    const server = await imds(t);
    server.setMode('hang');
    await assert.rejects(whereAmI(config(server.url, { imdsTimeoutMs: 100 })), unavailable(/did not answer/));
    assert.ok(server.requests.length >= 1, 'the token request reached IMDS');
  });

  it('the local IMDS is IMDSv2-only: 401 without a token or with an expired one, 400 without a TTL', async (t) => {
    const server = await imds(t);
    const answer = await fetch(`${server.url}/latest/meta-data/instance-id`);
    assert.equal(answer.status, 401);
    const token = await (await fetch(`${server.url}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '5' } })).text();
    server.expireTokens();
    const expired = await fetch(`${server.url}/latest/meta-data/instance-id`, { headers: { 'x-aws-ec2-metadata-token': token } });
    assert.equal(expired.status, 401);
    const noTtl = await fetch(`${server.url}/latest/api/token`, { method: 'PUT' });
    assert.equal(noTtl.status, 400);
  });

  it('names the default endpoint when none is configured', () => {
    assert.equal(imdsEndpointLabel({ imdsEndpoint: undefined }), IMDS_IPV4_ENDPOINT);
    assert.equal(imdsEndpointLabel({ imdsEndpoint: 'http://[fd00:ec2::254]' }), 'http://[fd00:ec2::254]');
  });
});

describe('rememberWhereabouts', () => {
  const HERE: Whereabouts = { instanceId: 'i-1', region: 'r', zone: 'z', type: 't' };

  it('asks once, shares a lookup in flight, and keeps the answer', async () => {
    let lookups = 0;
    const where = rememberWhereabouts(async () => {
      lookups += 1;
      return HERE;
    });
    const [a, b] = await Promise.all([where(), where()]);
    assert.equal(a, HERE);
    assert.equal(b, HERE);
    assert.equal(await where(), HERE);
    assert.equal(lookups, 1);
  });

  it('forgets a failure, so the next call asks again', async () => {
    let lookups = 0;
    const where = rememberWhereabouts(async () => {
      lookups += 1;
      if (lookups === 1) throw new Error('IMDS down');
      return HERE;
    });
    await assert.rejects(where(), /IMDS down/);
    assert.equal(await where(), HERE);
    assert.equal(lookups, 2);
  });
});
