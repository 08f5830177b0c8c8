// AzureProvider's own decisions, with a recording stand-in for ARM: the stop
// mode, dry run, the scale-set refusal, listing with a tag filter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VmChange } from '../../plugins/azure/arm.js';
import { AzureProvider } from '../../plugins/azure/provider.js';
import type { ArmApi, AzureProviderOptions } from '../../plugins/azure/provider.js';
import type { InstanceStatus, VmRecord, VmTarget } from '../../plugins/azure/vm.js';
import type { Whereabouts } from '../../plugins/azure/where-am-i.js';
import { PluginError } from '../../src/sdk/errors.js';
import { createLogger } from '../../src/sdk/logger.js';

const HERE: Whereabouts = { subscriptionId: 's', resourceGroup: 'rg', vmName: 'box', vmId: 'id-1', vmSize: 'Standard_B2s', location: 'westeurope', zone: '1', scaleSet: undefined };
const signal = new AbortController().signal;
const RUNNING = { statuses: [{ code: 'PowerState/running' }] };

class RecordingArm implements ArmApi {
  readonly calls: string[] = [];
  constructor(
    readonly record: VmRecord = { vmId: 'id-1', name: 'box', instanceView: RUNNING },
    readonly vms: VmRecord[] = [],
  ) {}
  async get(target: VmTarget): Promise<VmRecord> {
    this.calls.push(`get ${target.vmName}`);
    return this.record;
  }
  async instanceView(target: VmTarget): Promise<readonly InstanceStatus[]> {
    this.calls.push(`instanceView ${target.vmName}`);
    return [{ code: 'PowerState/deallocated' }];
  }
  async list(resourceGroup: string): Promise<VmRecord[]> {
    this.calls.push(`list ${resourceGroup}`);
    return this.vms;
  }
  async change(target: VmTarget, change: VmChange, deadlineMs: number): Promise<{ finished: boolean }> {
    this.calls.push(`${change} ${target.vmName} within ${deadlineMs}`);
    return { finished: true };
  }
}

function setup(config: Partial<AzureProviderOptions['config']> = {}, arm = new RecordingArm(), here: Whereabouts = HERE) {
  const subscriptions: string[] = [];
  const provider = new AzureProvider({
    config: { subscriptionId: undefined, resourceGroup: undefined, stopMode: 'deallocate', dryRun: false, listTag: undefined, listTagError: undefined, operationTimeoutMs: 5_000, ...config },
    logger: createLogger({ level: 'silent' }),
    whereAmI: async () => here,
    arm: async (subscriptionId) => {
      subscriptions.push(subscriptionId);
      return arm;
    },
  });
  return { provider, arm, subscriptions };
}

describe('AzureProvider', () => {
  it('is "azure"; info from ARM with IMDS filling gaps; one client per subscription', async () => {
    const { provider, subscriptions } = setup();
    assert.equal(provider.name, 'azure');
    const info = await provider.getInstanceInfo(signal);
    assert.deepEqual(info, { id: 'id-1', name: 'box', state: 'running', type: 'Standard_B2s', region: 'westeurope', zone: '1' });
    await provider.getInstanceInfo(signal);
    assert.deepEqual(subscriptions, ['s']);
  });

  it('stop uses the configured mode with the operation deadline; start starts', async () => {
    for (const mode of ['deallocate', 'hibernate', 'power-off'] as const) {
      const { provider, arm } = setup({ stopMode: mode });
      await provider.stopInstance(signal);
      assert.deepEqual(arm.calls, ['get box', `${mode} box within 5000`]);
    }
    const { provider, arm } = setup();
    await provider.startInstance(signal);
    assert.deepEqual(arm.calls, ['get box', 'start box within 5000']);
  });

  it('dry run: read only', async () => {
    const { provider, arm } = setup({ dryRun: true, stopMode: 'power-off' });
    await provider.stopInstance(signal);
    await provider.startInstance(signal);
    assert.deepEqual(arm.calls, ['get box', 'get box']);
  });

  it('a scale-set VM (from IMDS or from the record) is refused with FAILED_PRECONDITION', async () => {
    const fromImds = setup({}, new RecordingArm(), { ...HERE, scaleSet: 'web' });
    await assert.rejects(fromImds.provider.stopInstance(signal), (error: unknown) => {
      assert.ok(error instanceof PluginError);
      assert.equal(error.code, 'FAILED_PRECONDITION');
      assert.match(error.message, /instance of the scale set web/);
      return true;
    });
    const fromRecord = setup({}, new RecordingArm({ name: 'box', virtualMachineScaleSet: { id: '/x/virtualMachineScaleSets/api' } }));
    await assert.rejects(fromRecord.provider.startInstance(signal), /scale set api/);
    assert.deepEqual(fromRecord.arm.calls, ['get box']);
  });

  it('list: tag filter before the instance views; subscription + group settings are enough', async () => {
    const vms: VmRecord[] = [
      { name: 'a', tags: { team: 'blue' } },
      { name: 'b', tags: { team: 'red' } },
      { name: 'c', tags: { team: 'blue' }, instanceView: RUNNING },
    ];
    const { provider, arm } = setup({ subscriptionId: 's2', resourceGroup: 'other', listTag: { key: 'team', value: 'blue' } }, new RecordingArm(undefined, vms), undefined);
    const listed = await provider.listInstances(signal);
    assert.deepEqual(listed.map((i) => `${i.name} ${i.state}`), ['a deallocated', 'c running']);
    assert.deepEqual(arm.calls, ['list other', 'instanceView a']);
  });

  it('a malformed tag fails ListInstances only', async () => {
    const { provider } = setup({ listTagError: 'SNOOZEBOT_AZURE_LIST_TAG must look like Key=Value' });
    await assert.rejects(provider.listInstances(signal), /must look like Key=Value/);
    assert.equal((await provider.getInstanceInfo(signal)).id, 'id-1');
  });
});
