// An Azure VM's record and what the plugin makes of it: the power state from
// the instance view, the scale set it belongs to, the InstanceInfo the host
// gets. Pure, and free of the Azure SDK, so provider.ts can use it without
// loading the SDK at start.
import type { InstanceDetails } from '../../src/sdk/provider.js';

export interface InstanceStatus {
  readonly code?: string;
}

/** The parts of @azure/arm-compute's VirtualMachine the plugin reads. */
export interface VmRecord {
  readonly vmId?: string;
  readonly name?: string;
  readonly location?: string;
  readonly zones?: readonly string[];
  readonly hardwareProfile?: { readonly vmSize?: string };
  readonly timeCreated?: Date;
  readonly tags?: Readonly<Record<string, string>>;
  readonly virtualMachineScaleSet?: { readonly id?: string };
  readonly instanceView?: { readonly statuses?: readonly InstanceStatus[] };
}

export interface VmTarget {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly vmName: string;
}

export function resourceIdOf(target: VmTarget): string {
  return `/subscriptions/${target.subscriptionId}/resourceGroups/${target.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${target.vmName}`;
}

/**
 * The power state in Azure's own words (running, starting, stopping, stopped,
 * deallocating, deallocated), or "hibernated" for a deallocated VM whose
 * memory was saved. "stopped" is a VM that still holds (and bills) its hardware.
 */
export function powerState(statuses: readonly InstanceStatus[] | undefined): string {
  const codes = (statuses ?? []).map((s) => s.code ?? '');
  const power = codes.find((c) => c.startsWith('PowerState/'))?.slice('PowerState/'.length);
  if (power === undefined) return 'unknown';
  if (power === 'deallocated' && codes.some((c) => c === 'HibernationState/Hibernated')) return 'hibernated';
  return power;
}

/** The last segment of an ARM id: the scale set's name. */
export function scaleSetOf(vm: VmRecord): string | undefined {
  const id = vm.virtualMachineScaleSet?.id;
  return id === undefined || id === '' ? undefined : id.slice(id.lastIndexOf('/') + 1);
}

export function toDetails(vm: VmRecord, statuses: readonly InstanceStatus[] | undefined = vm.instanceView?.statuses): InstanceDetails {
  const zone = vm.zones?.[0];
  return {
    id: vm.vmId ?? '',
    state: powerState(statuses),
    ...(vm.name === undefined ? {} : { name: vm.name }),
    ...(vm.hardwareProfile?.vmSize === undefined ? {} : { type: vm.hardwareProfile.vmSize }),
    ...(vm.location === undefined ? {} : { region: vm.location }),
    ...(zone === undefined ? {} : { zone }),
    ...(vm.timeCreated === undefined ? {} : { launchTime: new Date(vm.timeCreated) }),
  };
}
