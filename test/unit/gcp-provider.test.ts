// GcpProvider's own decisions, with a recording stand-in for Compute: dry
// run, suspend and resume, the managed-instance-group guard, the deadline.
// (Google's auth library against the local endpoints is in
// test/integration/gcp-*.test.ts.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GceInstance, InstanceAction, Target } from '../../plugins/gcp/instance.js';
import type { ZoneOperation } from '../../plugins/gcp/operation.js';
import { GcpProvider } from '../../plugins/gcp/provider.js';
import type { ComputeApi, GcpProviderOptions } from '../../plugins/gcp/provider.js';
import type { Whereabouts } from '../../plugins/gcp/where-am-i.js';
import { PluginError } from '../../src/sdk/errors.js';
import { createLogger } from '../../src/sdk/logger.js';
import type { KeyValue } from '../../src/sdk/settings.js';

const HERE: Whereabouts = { project: 'p', zone: 'europe-west1-b', instance: 'box', instanceId: '42', machineType: 'e2-small', createdBy: undefined };
const signal = new AbortController().signal;

class RecordingCompute implements ComputeApi {
  readonly calls: string[] = [];
  constructor(
    public record: GceInstance = { id: '42', name: 'box', status: 'RUNNING' },
    readonly finalStatus = 'DONE',
  ) {}
  async get(target: Target): Promise<GceInstance> {
    this.calls.push(`get ${target.instance}`);
    return this.record;
  }
  async list(where: Pick<Target, 'project' | 'zone'>, label: KeyValue | undefined): Promise<GceInstance[]> {
    this.calls.push(`list ${where.project}/${where.zone} ${label === undefined ? '-' : `${label.key}=${label.value}`}`);
    return [this.record];
  }
  async act(target: Target, action: InstanceAction, discardLocalSsd: boolean): Promise<ZoneOperation> {
    this.calls.push(`${action} ${target.instance} discardLocalSsd=${discardLocalSsd}`);
    return { name: 'op-1', status: 'PENDING' };
  }
  async operation(_where: Pick<Target, 'project' | 'zone'>, name: string): Promise<ZoneOperation> {
    this.calls.push(`poll ${name}`);
    return { name, status: this.finalStatus };
  }
}

function setup(config: Partial<GcpProviderOptions['config']> = {}, compute = new RecordingCompute(), here: Whereabouts = HERE) {
  let lookups = 0;
  const projects: string[] = [];
  const provider = new GcpProvider({
    config: {
      project: undefined,
      zone: undefined,
      suspend: false,
      discardLocalSsd: false,
      allowMig: false,
      dryRun: false,
      listLabel: undefined,
      listLabelError: undefined,
      operationTimeoutMs: 1_000,
      ...config,
    },
    logger: createLogger({ level: 'silent' }),
    whereAmI: async () => {
      lookups += 1;
      return here;
    },
    compute: async (project) => {
      projects.push(project);
      return compute;
    },
    wait: { sleep: async () => undefined, firstPollMs: 1 },
  });
  return { provider, compute, projects, lookups: () => lookups };
}

describe('GcpProvider', () => {
  it('is "gcp", API 1; info from the record with the metadata server filling gaps', async () => {
    const { provider, projects } = setup({}, new RecordingCompute({ status: 'RUNNING', zone: 'zones/europe-west1-b' }));
    assert.equal(provider.name, 'gcp');
    assert.equal(provider.apiVersion, '1');
    const info = await provider.getInstanceInfo(signal);
    assert.equal(info.id, '42');
    assert.equal(info.type, 'e2-small');
    assert.equal(info.region, 'europe-west1');
    await provider.stopInstance(signal);
    assert.deepEqual(projects, ['p'], 'one client, made for the instance\'s project');
  });

  it('stop: reads, then stops keeping local SSDs, and polls the operation', async () => {
    const { provider, compute } = setup();
    assert.equal(await provider.stopInstance(signal), undefined);
    assert.deepEqual(compute.calls, ['get box', 'stop box discardLocalSsd=false', 'poll op-1']);
  });

  it('suspend mode suspends; start resumes a suspended instance and starts a stopped one', async () => {
    const suspending = setup({ suspend: true, discardLocalSsd: true });
    await suspending.provider.stopInstance(signal);
    assert.ok(suspending.compute.calls.includes('suspend box discardLocalSsd=true'));
    const suspended = setup({}, new RecordingCompute({ status: 'SUSPENDED' }));
    await suspended.provider.startInstance(signal);
    assert.ok(suspended.compute.calls.includes('resume box discardLocalSsd=false'));
    const stopped = setup({}, new RecordingCompute({ status: 'TERMINATED' }));
    await stopped.provider.startInstance(signal);
    assert.ok(stopped.compute.calls.includes('start box discardLocalSsd=false'));
  });

  it('dry run: the record is read, nothing is changed', async () => {
    const { provider, compute } = setup({ dryRun: true, suspend: true });
    await provider.stopInstance(signal);
    await provider.startInstance(signal);
    assert.deepEqual(compute.calls, ['get box', 'get box']);
  });

  it('a managed instance group\'s instance is refused (record or metadata), unless allowed', async () => {
    const group = 'projects/1/zones/z/instanceGroupManagers/web';
    const byRecord = setup({}, new RecordingCompute({ status: 'RUNNING', metadata: { items: [{ key: 'created-by', value: group }] } }));
    await assert.rejects(byRecord.provider.stopInstance(signal), (error: unknown) => {
      assert.ok(error instanceof PluginError);
      assert.equal(error.code, 'FAILED_PRECONDITION');
      assert.match(error.message, /managed instance group projects\/1\/zones\/z\/instanceGroupManagers\/web/);
      return true;
    });
    assert.deepEqual(byRecord.compute.calls, ['get box']);
    const byMetadata = setup({}, new RecordingCompute(), { ...HERE, createdBy: group });
    await assert.rejects(byMetadata.provider.stopInstance(signal), /managed instance group/);
    const allowed = setup({ allowMig: true }, new RecordingCompute({ status: 'RUNNING', metadata: { items: [{ key: 'created-by', value: group }] } }));
    await allowed.provider.stopInstance(signal);
    assert.ok(allowed.compute.calls.includes('stop box discardLocalSsd=false'));
  });

  it('list: the label filter, and project + zone settings are enough (no metadata server)', async () => {
    const { provider, compute, lookups } = setup({ project: 'q', zone: 'us-east1-c', listLabel: { key: 'team', value: 'blue' } });
    assert.equal((await provider.listInstances(signal)).length, 1);
    assert.deepEqual(compute.calls, ['list q/us-east1-c team=blue']);
    assert.equal(lookups(), 0);
  });

  it('a malformed label fails ListInstances with FAILED_PRECONDITION, and only that', async () => {
    const { provider } = setup({ listLabelError: 'SNOOZEBOT_GCP_LIST_LABEL must look like key=value' });
    await assert.rejects(provider.listInstances(signal), /FAILED_PRECONDITION|must look like key=value/);
    assert.equal((await provider.getInstanceInfo(signal)).id, '42');
  });

  it('a failed client creation is not kept', async () => {
    let attempts = 0;
    const provider = new GcpProvider({
      config: { project: undefined, zone: undefined, suspend: false, discardLocalSsd: false, allowMig: false, dryRun: false, listLabel: undefined, listLabelError: undefined, operationTimeoutMs: 1_000 },
      logger: createLogger({ level: 'silent' }),
      whereAmI: async () => HERE,
      compute: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('cannot load');
        return new RecordingCompute();
      },
    });
    await assert.rejects(provider.getInstanceInfo(signal), /cannot load/);
    assert.equal((await provider.getInstanceInfo(signal)).id, '42');
    assert.equal(attempts, 2);
  });
});
