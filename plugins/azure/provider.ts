// The Azure provider: the VM this plugin runs on (or the one
// SNOOZEBOT_AZURE_SUBSCRIPTION_ID/RESOURCE_GROUP/VM_NAME name), read and
// deallocated (or hibernated, or powered off when asked) and started through
// Azure Resource Manager, each change polled to completion.
//
// Scale-set VMs are refused: a scale set's autoscale, instance repair or an
// upgrade may start, replace or delete its instances behind snoozebot's back,
// and Uniform instances are not even addressable as virtual machines. Scale a
// scale set in through the scale set itself.
import { PluginError } from '../../src/sdk/errors.js';
import type { Logger } from '../../src/sdk/logger.js';
import type { CloudProvider, InstanceDetails, OperationOutcome } from '../../src/sdk/provider.js';
import { rememberPerKey } from '../../src/sdk/remember.js';
import { VERSION } from '../../src/version.js';
import type { VmChange } from './arm.js';
import type { AzureConfig } from './config.js';
import { ENV } from './config.js';
import type { InstanceStatus, VmRecord, VmTarget } from './vm.js';
import { powerState, resourceIdOf, scaleSetOf, toDetails } from './vm.js';
import type { Whereabouts } from './where-am-i.js';

/** What the provider needs of ARM (arm.ts's Arm class). */
export interface ArmApi {
  get(target: VmTarget, signal: AbortSignal): Promise<VmRecord>;
  instanceView(target: VmTarget, signal: AbortSignal): Promise<readonly InstanceStatus[]>;
  list(resourceGroup: string, signal: AbortSignal): Promise<VmRecord[]>;
  change(target: VmTarget, change: VmChange, deadlineMs: number, signal: AbortSignal): Promise<{ finished: boolean }>;
}

export interface AzureProviderOptions {
  readonly config: Pick<AzureConfig, 'subscriptionId' | 'resourceGroup' | 'stopMode' | 'dryRun' | 'listTag' | 'listTagError' | 'operationTimeoutMs'>;
  readonly logger: Logger;
  readonly whereAmI: () => Promise<Whereabouts>;
  /** An ARM client for a subscription; called once per subscription. */
  readonly arm: (subscriptionId: string) => Promise<ArmApi>;
}

/** instanceView calls at once when listing (ARM's read limit is per subscription and generous; the VMs in a group are few). */
const LIST_CONCURRENCY = 4;

const WHAT: Readonly<Record<VmChange, string>> = {
  deallocate: 'deallocate (stop and release the hardware: compute billing stops)',
  hibernate: 'hibernate (save memory to the OS disk, then deallocate)',
  'power-off': 'power off (the VM keeps its hardware and is still billed for it)',
  start: 'start',
};

async function mapLimited<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await run(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export class AzureProvider implements CloudProvider {
  readonly name = 'azure';
  readonly version = VERSION;
  readonly apiVersion = '1';
  readonly #options: AzureProviderOptions;
  readonly #arm: (subscriptionId: string) => Promise<ArmApi>;

  constructor(options: AzureProviderOptions) {
    this.#options = options;
    this.#arm = rememberPerKey(options.arm);
  }

  async #target(): Promise<VmTarget & { here: Whereabouts }> {
    const here = await this.#options.whereAmI();
    return { subscriptionId: here.subscriptionId, resourceGroup: here.resourceGroup, vmName: here.vmName, here };
  }

  async getInstanceInfo(signal: AbortSignal): Promise<InstanceDetails> {
    const target = await this.#target();
    const details = toDetails(await (await this.#arm(target.subscriptionId)).get(target, signal));
    // ARM's record is the truth; IMDS fills in what an odd answer leaves out.
    const { here } = target;
    return {
      ...details,
      ...(details.id === '' && here.vmId !== undefined ? { id: here.vmId } : {}),
      ...(details.type === undefined && here.vmSize !== undefined ? { type: here.vmSize } : {}),
      ...(details.region === undefined && here.location !== undefined ? { region: here.location } : {}),
      ...(details.zone === undefined && here.zone !== undefined ? { zone: here.zone } : {}),
    };
  }

  async listInstances(signal: AbortSignal): Promise<InstanceDetails[]> {
    const { listTag, listTagError, subscriptionId, resourceGroup } = this.#options.config;
    if (listTagError !== undefined) {
      throw new PluginError('FAILED_PRECONDITION', `cannot list instances: ${listTagError}`, {
        hint: `fix or unset ${ENV.listTag} in the plugin's environment`,
      });
    }
    // Listing needs only the subscription and resource group: those two settings are enough off Azure.
    const where = subscriptionId !== undefined && resourceGroup !== undefined ? { subscriptionId, resourceGroup } : await this.#options.whereAmI();
    const arm = await this.#arm(where.subscriptionId);
    const vms = (await arm.list(where.resourceGroup, signal)).filter((vm) => listTag === undefined || vm.tags?.[listTag.key] === listTag.value);
    // A resource group's list has no power state; each VM's instance view does.
    return mapLimited(vms, LIST_CONCURRENCY, async (vm) =>
      toDetails(vm, vm.instanceView?.statuses ?? (await arm.instanceView({ ...where, vmName: vm.name ?? '' }, signal))),
    );
  }

  #refuseScaleSet(target: VmTarget & { here: Whereabouts }, record: VmRecord, what: string): void {
    const scaleSet = target.here.scaleSet ?? scaleSetOf(record);
    if (scaleSet === undefined) return;
    throw new PluginError(
      'FAILED_PRECONDITION',
      `refusing to ${what} ${resourceIdOf(target)}: it is an instance of the scale set ${scaleSet}, whose autoscale, ` +
        'instance repair or upgrades may start, replace or delete it',
      { hint: 'snoozebot does not manage scale-set instances: scale the set in (or stop it) through the scale set itself' },
    );
  }

  async #change(change: VmChange, signal: AbortSignal): Promise<void> {
    const target = await this.#target();
    const { logger } = this.#options;
    const { dryRun, operationTimeoutMs } = this.#options.config;
    const arm = await this.#arm(target.subscriptionId);
    // Read first (harmless in a dry run too): the scale-set check needs the record.
    const record = await arm.get(target, signal);
    this.#refuseScaleSet(target, record, change === 'start' ? 'start' : 'stop');
    const fields = { vm: resourceIdOf(target), change, state: powerState(record.instanceView?.statuses) };
    if (dryRun) {
      logger.info(fields, `dry run: would ${WHAT[change]}`);
      return;
    }
    if (change === 'power-off') logger.warn(fields, 'SNOOZEBOT_AZURE_STOP_MODE=power-off: the VM keeps its hardware and is still billed for compute');
    (change === 'start' ? logger.info : logger.warn).call(logger, fields, `asking Azure to ${WHAT[change]}`);
    const outcome = await arm.change(target, change, operationTimeoutMs, signal);
    if (outcome.finished) logger.info(fields, `Azure finished the ${change}`);
    else logger.warn({ ...fields, waitedMs: operationTimeoutMs }, `the ${change} is still in progress at the deadline; Azure is carrying it out`);
  }

  stopInstance(signal: AbortSignal): Promise<OperationOutcome> {
    return this.#change(this.#options.config.stopMode, signal);
  }

  startInstance(signal: AbortSignal): Promise<OperationOutcome> {
    return this.#change('start', signal);
  }
}
