// Which VM this plugin runs on: Azure's Instance Metadata Service (IMDS),
// GET /metadata/instance/compute with `Metadata: true` and a pinned
// api-version, not through a proxy. The environment overrides each fact;
// with subscription, resource group and VM name all set IMDS is not asked.
import { PluginError } from '../../src/sdk/errors.js';
import type { AzureConfig } from './config.js';
import { ENV } from './config.js';

/** Pinned: every field read here exists in it. */
export const IMDS_API_VERSION = '2021-02-01';

export interface Whereabouts {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly vmName: string;
  /** From IMDS; undefined when the environment said everything. */
  readonly vmId: string | undefined;
  readonly vmSize: string | undefined;
  readonly location: string | undefined;
  readonly zone: string | undefined;
  /** The scale set the VM belongs to, if any. */
  readonly scaleSet: string | undefined;
}

type ImdsConfig = Pick<AzureConfig, 'subscriptionId' | 'resourceGroup' | 'vmName' | 'imdsEndpoint' | 'imdsTimeoutMs'>;

export const IMDS_HINT =
  'on an Azure VM, check that nothing (a proxy setting, a firewall rule on the machine) intercepts 169.254.169.254; ' +
  `off Azure, set ${ENV.subscriptionId}, ${ENV.resourceGroup} and ${ENV.vmName}`;

interface ImdsCompute {
  readonly vmId?: string;
  readonly name?: string;
  readonly vmSize?: string;
  readonly location?: string;
  readonly zone?: string;
  readonly resourceGroupName?: string;
  readonly subscriptionId?: string;
  readonly vmScaleSetName?: string;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function detail(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error instanceof Error ? error.message : String(error)}${cause}`;
}

async function readImds(config: ImdsConfig): Promise<ImdsCompute> {
  const url = `${config.imdsEndpoint}/metadata/instance/compute?api-version=${IMDS_API_VERSION}&format=json`;
  const answer = await fetch(url, { headers: { Metadata: 'true' }, signal: AbortSignal.timeout(config.imdsTimeoutMs), redirect: 'error' });
  const body = await answer.text();
  if (answer.status !== 200) throw new Error(`${url} answered HTTP ${answer.status} ${body.slice(0, 200)}`);
  try {
    return JSON.parse(body) as ImdsCompute;
  } catch {
    throw new Error(`${url} answered something that is not JSON: ${body.slice(0, 100)}`);
  }
}

export async function whereAmI(config: ImdsConfig): Promise<Whereabouts> {
  const { subscriptionId, resourceGroup, vmName } = config;
  if (subscriptionId !== undefined && resourceGroup !== undefined && vmName !== undefined) {
    return { subscriptionId, resourceGroup, vmName, vmId: undefined, vmSize: undefined, location: undefined, zone: undefined, scaleSet: undefined };
  }
  let compute: ImdsCompute;
  try {
    compute = await readImds(config);
  } catch (error) {
    throw new PluginError(
      'UNAVAILABLE',
      `cannot tell which Azure VM this is: the instance metadata service at ${config.imdsEndpoint} did not answer: ${detail(error)}`,
      { hint: IMDS_HINT, cause: error },
    );
  }
  const found = {
    subscriptionId: subscriptionId ?? nonEmpty(compute.subscriptionId),
    resourceGroup: resourceGroup ?? nonEmpty(compute.resourceGroupName),
    vmName: vmName ?? nonEmpty(compute.name),
  };
  const missing = Object.entries(found).filter(([, v]) => v === undefined).map(([k]) => k);
  if (missing.length > 0) {
    throw new PluginError('UNAVAILABLE', `the instance metadata service at ${config.imdsEndpoint} did not say ${missing.join(', ')}`, { hint: IMDS_HINT });
  }
  return {
    subscriptionId: found.subscriptionId as string,
    resourceGroup: found.resourceGroup as string,
    vmName: found.vmName as string,
    vmId: nonEmpty(compute.vmId),
    vmSize: nonEmpty(compute.vmSize),
    location: nonEmpty(compute.location),
    zone: nonEmpty(compute.zone),
    scaleSet: nonEmpty(compute.vmScaleSetName),
  };
}
