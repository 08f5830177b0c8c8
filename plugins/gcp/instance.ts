// A Compute Engine instance record and what the plugin makes of it: the
// state in the other plugins' words, the managed instance group it belongs
// to, the InstanceInfo the host gets. Pure, and free of the auth library, so
// provider.ts can use it without loading Google's code at start.
import type { InstanceDetails } from '../../src/sdk/provider.js';
import type { KeyValue } from '../../src/sdk/settings.js';
import { lastSegment } from './where-am-i.js';

export interface GceInstance {
  readonly id?: string;
  readonly name?: string;
  readonly zone?: string;
  readonly machineType?: string;
  readonly status?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly metadata?: { readonly items?: readonly { readonly key?: string; readonly value?: string }[] };
  readonly creationTimestamp?: string;
  readonly lastStartTimestamp?: string;
}

export type InstanceAction = 'stop' | 'suspend' | 'start' | 'resume';

export interface Target {
  readonly project: string;
  readonly zone: string;
  readonly instance: string;
}

// Compute Engine's statuses, in the words the other plugins use.
const STATES: Readonly<Record<string, string>> = {
  PROVISIONING: 'pending',
  STAGING: 'pending',
  RUNNING: 'running',
  PENDING_STOP: 'stopping',
  STOPPING: 'stopping',
  STOPPED: 'stopped',
  TERMINATED: 'stopped',
  SUSPENDING: 'suspending',
  SUSPENDED: 'suspended',
  REPAIRING: 'repairing',
};

export function stateOf(status: string | undefined): string {
  if (status === undefined) return 'unknown';
  return STATES[status] ?? status.toLowerCase();
}

/** The `created-by` metadata item: a managed instance group's URL when one created the instance. */
export function createdBy(instance: GceInstance): string | undefined {
  return instance.metadata?.items?.find((item) => item.key === 'created-by')?.value;
}

export function isManagedByGroup(createdByValue: string | undefined): boolean {
  return createdByValue !== undefined && /\/instanceGroupManagers\//.test(createdByValue);
}

/** "europe-west1-b" → "europe-west1". */
export function regionOf(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

export function toDetails(instance: GceInstance): InstanceDetails {
  const zone = instance.zone === undefined ? undefined : lastSegment(instance.zone);
  const started = instance.lastStartTimestamp ?? instance.creationTimestamp;
  const launchTime = started === undefined ? undefined : new Date(started);
  return {
    id: instance.id ?? '',
    state: stateOf(instance.status),
    ...(instance.name === undefined ? {} : { name: instance.name }),
    ...(instance.machineType === undefined ? {} : { type: lastSegment(instance.machineType) }),
    ...(zone === undefined ? {} : { zone, region: regionOf(zone) }),
    ...(launchTime === undefined || Number.isNaN(launchTime.getTime()) ? {} : { launchTime }),
  };
}

/** instances.list's filter for a label; the label was checked to be safe to quote (config.ts). */
export function labelFilter(label: KeyValue | undefined): string | undefined {
  return label === undefined ? undefined : `labels.${label.key} = "${label.value}"`;
}

export function resourceOf(target: Target): string {
  return `projects/${target.project}/zones/${target.zone}/instances/${target.instance}`;
}
