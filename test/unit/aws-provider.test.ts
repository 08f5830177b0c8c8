// AwsProvider's own decisions, with a recording stand-in for EC2: dry run,
// hibernation, which region is asked, what IMDS fills in. (The real SDK
// against the local endpoint is in test/integration/aws-*.test.ts.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TagFilter } from '../../plugins/aws/config.js';
import { AwsProvider } from '../../plugins/aws/provider.js';
import type { AwsProviderOptions, Ec2Api } from '../../plugins/aws/provider.js';
import type { Whereabouts } from '../../plugins/aws/where-am-i.js';
import { PluginError } from '../../src/sdk/errors.js';
import { createLogger } from '../../src/sdk/logger.js';
import type { InstanceDetails } from '../../src/sdk/provider.js';
import { VERSION } from '../../src/version.js';

const HERE: Whereabouts = { instanceId: 'i-0123456789abcdef0', region: 'eu-west-1', zone: 'eu-west-1b', type: 't3.small' };
const signal = new AbortController().signal;

class RecordingEc2 implements Ec2Api {
  readonly calls: string[] = [];
  constructor(
    readonly region: string,
    readonly record: InstanceDetails = { id: HERE.instanceId, state: 'running', name: 'box', type: 't3.small', zone: 'eu-west-1b' },
  ) {}
  async describe(instanceId: string): Promise<InstanceDetails> {
    this.calls.push(`describe ${instanceId}`);
    return this.record;
  }
  async list(tag: TagFilter | undefined): Promise<InstanceDetails[]> {
    this.calls.push(`list ${tag === undefined ? '-' : `${tag.key}=${tag.value}`}`);
    return [this.record];
  }
  async stop(instanceId: string, hibernate: boolean) {
    this.calls.push(`stop ${instanceId} hibernate=${hibernate}`);
    return { previous: 'running', current: 'stopping' };
  }
  async start(instanceId: string) {
    this.calls.push(`start ${instanceId}`);
    return { previous: 'stopped', current: 'pending' };
  }
}

function setup(config: Partial<AwsProviderOptions['config']> = {}, here: Whereabouts = HERE, record?: InstanceDetails) {
  const clients: RecordingEc2[] = [];
  let lookups = 0;
  const provider = new AwsProvider({
    config: { region: undefined, hibernate: false, dryRun: false, listTag: undefined, listTagError: undefined, ...config },
    logger: createLogger({ level: 'silent' }),
    whereAmI: async () => {
      lookups += 1;
      return here;
    },
    ec2: async (region) => {
      const client = new RecordingEc2(region, record);
      clients.push(client);
      return client;
    },
  });
  return { provider, clients, lookups: () => lookups, calls: () => clients.flatMap((c) => c.calls) };
}

describe('AwsProvider', () => {
  it('is "aws" at the snoozebot version, API 1', () => {
    const { provider } = setup();
    assert.equal(provider.name, 'aws');
    assert.equal(provider.version, VERSION);
    assert.equal(provider.apiVersion, '0.1.0');
  });

  it('describes its own instance in the region it is in; one client per region', async () => {
    const { provider, clients, calls } = setup();
    const info = await provider.getInstanceInfo(signal);
    assert.deepEqual(info, { id: HERE.instanceId, state: 'running', name: 'box', type: 't3.small', zone: 'eu-west-1b', region: 'eu-west-1' });
    await provider.getInstanceInfo(signal);
    assert.deepEqual(clients.map((c) => c.region), ['eu-west-1']);
    assert.deepEqual(calls(), [`describe ${HERE.instanceId}`, `describe ${HERE.instanceId}`]);
  });

  it('fills zone and type from IMDS when EC2 left them out', async () => {
    const { provider } = setup({}, HERE, { id: HERE.instanceId, state: 'stopped' });
    const info = await provider.getInstanceInfo(signal);
    assert.equal(info.zone, 'eu-west-1b');
    assert.equal(info.type, 't3.small');
    assert.equal(info.state, 'stopped');
  });

  it('stops normally, or hibernates when configured', async () => {
    const plain = setup();
    assert.equal(await plain.provider.stopInstance(signal), undefined);
    assert.deepEqual(plain.calls(), [`stop ${HERE.instanceId} hibernate=false`]);
    const hibernating = setup({ hibernate: true });
    await hibernating.provider.stopInstance(signal);
    assert.deepEqual(hibernating.calls(), [`stop ${HERE.instanceId} hibernate=true`]);
  });

  it('starts its instance', async () => {
    const { provider, calls } = setup();
    assert.equal(await provider.startInstance(signal), undefined);
    assert.deepEqual(calls(), [`start ${HERE.instanceId}`]);
  });

  it('dry run: stop and start succeed without any EC2 call', async () => {
    const { provider, clients, lookups } = setup({ dryRun: true, hibernate: true });
    assert.equal(await provider.stopInstance(signal), undefined);
    assert.equal(await provider.startInstance(signal), undefined);
    assert.equal(clients.length, 0, 'no EC2 client was even made');
    assert.ok(lookups() >= 1, 'the instance was still identified, so a dry run shows IMDS problems');
  });

  it('lists with the tag filter; AWS_REGION alone is enough to list', async () => {
    const { provider, calls, lookups } = setup({ region: 'us-east-2', listTag: { key: 'team', value: 'blue' } });
    assert.equal((await provider.listInstances(signal)).length, 1);
    assert.deepEqual(calls(), ['list team=blue']);
    assert.equal(lookups(), 0, 'IMDS was not needed');
  });

  it('a malformed tag filter fails ListInstances with FAILED_PRECONDITION, and only that', async () => {
    const { provider, calls } = setup({ listTagError: 'SNOOZEBOT_AWS_LIST_TAG must look like Key=Value, got "team"' });
    await assert.rejects(provider.listInstances(signal), (error: unknown) => {
      assert.ok(error instanceof PluginError);
      assert.equal(error.code, 'FAILED_PRECONDITION');
      assert.match(error.message, /SNOOZEBOT_AWS_LIST_TAG must look like Key=Value/);
      return true;
    });
    assert.equal((await provider.getInstanceInfo(signal)).id, HERE.instanceId);
    assert.deepEqual(calls(), [`describe ${HERE.instanceId}`]);
  });

  it('a failed client creation is not kept: the next call tries again', async () => {
    let attempts = 0;
    const provider = new AwsProvider({
      config: { region: undefined, hibernate: false, dryRun: false, listTag: undefined, listTagError: undefined },
      logger: createLogger({ level: 'silent' }),
      whereAmI: async () => HERE,
      ec2: async (region) => {
        attempts += 1;
        if (attempts === 1) throw new Error('cannot load');
        return new RecordingEc2(region);
      },
    });
    await assert.rejects(provider.getInstanceInfo(signal), /cannot load/);
    assert.equal((await provider.getInstanceInfo(signal)).id, HERE.instanceId);
    assert.equal(attempts, 2);
  });
});
