// The Azure plugin's settings, all from its environment (the daemon passes a
// plugin's configured variables through). Pure: parsing only.
import { SettingsReader, parseKeyValue } from '../../src/sdk/settings.js';
import type { Env, KeyValue } from '../../src/sdk/settings.js';

export const ENV = {
  subscriptionId: 'SNOOZEBOT_AZURE_SUBSCRIPTION_ID',
  resourceGroup: 'SNOOZEBOT_AZURE_RESOURCE_GROUP',
  vmName: 'SNOOZEBOT_AZURE_VM_NAME',
  stopMode: 'SNOOZEBOT_AZURE_STOP_MODE',
  clientId: 'SNOOZEBOT_AZURE_CLIENT_ID',
  listTag: 'SNOOZEBOT_AZURE_LIST_TAG',
  imdsEndpoint: 'SNOOZEBOT_AZURE_IMDS_ENDPOINT',
  imdsTimeout: 'SNOOZEBOT_AZURE_IMDS_TIMEOUT_MS',
  armEndpoint: 'SNOOZEBOT_AZURE_ARM_ENDPOINT',
  operationTimeout: 'SNOOZEBOT_AZURE_OPERATION_TIMEOUT_MS',
  requestTimeout: 'SNOOZEBOT_AZURE_REQUEST_TIMEOUT_MS',
  maxAttempts: 'SNOOZEBOT_AZURE_MAX_ATTEMPTS',
  /** @azure/identity's (and MSAL's) own override of the managed-identity endpoint. */
  podIdentityHost: 'AZURE_POD_IDENTITY_AUTHORITY_HOST',
  dryRun: 'SNOOZEBOT_DRY_RUN',
} as const;

/**
 * How StopInstance stops the VM. `deallocate` (the default) releases the
 * hardware and stops compute billing; `hibernate` deallocates after saving
 * memory to the OS disk; `power-off` only shuts the guest down: the VM keeps
 * its hardware and keeps being billed for it.
 */
export type StopMode = 'deallocate' | 'hibernate' | 'power-off';
export const STOP_MODES: readonly StopMode[] = ['deallocate', 'hibernate', 'power-off'];

export const IMDS_DEFAULT_ENDPOINT = 'http://169.254.169.254';
export const ARM_DEFAULT_ENDPOINT = 'https://management.azure.com';
export const DEFAULT_IMDS_TIMEOUT_MS = 1_000;
/** Below the host's default 30 s call deadline, so the plugin answers first. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 20_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 4;

export interface AzureConfig {
  /** Set all three to run off Azure (then IMDS is not asked); each wins over IMDS. */
  readonly subscriptionId: string | undefined;
  readonly resourceGroup: string | undefined;
  readonly vmName: string | undefined;
  readonly stopMode: StopMode;
  /** A user-assigned managed identity's client id; unset: the system-assigned one. */
  readonly clientId: string | undefined;
  readonly dryRun: boolean;
  readonly listTag: KeyValue | undefined;
  readonly listTagError: string | undefined;
  readonly imdsEndpoint: string;
  readonly imdsTimeoutMs: number;
  readonly armEndpoint: string;
  readonly operationTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Attempts per ARM request, retries included (the pipeline retries throttling, 5xx and network errors). */
  readonly maxAttempts: number;
  readonly warnings: readonly string[];
}

export function readConfig(env: Env): AzureConfig {
  const read = new SettingsReader(env);
  let listTag: KeyValue | undefined;
  let listTagError: string | undefined;
  const tagSetting = read.text(ENV.listTag);
  if (tagSetting !== undefined) {
    const parsed = parseKeyValue(tagSetting);
    if (parsed === undefined) {
      listTagError = `${ENV.listTag} must look like Key=Value (e.g. snoozebot=managed), got ${JSON.stringify(tagSetting)}`;
      read.warnings.push(listTagError);
    } else {
      listTag = parsed;
    }
  }
  return {
    subscriptionId: read.text(ENV.subscriptionId),
    resourceGroup: read.text(ENV.resourceGroup),
    vmName: read.text(ENV.vmName),
    stopMode: read.choice(ENV.stopMode, STOP_MODES, 'deallocate'),
    clientId: read.text(ENV.clientId),
    dryRun: read.flag(ENV.dryRun),
    listTag,
    listTagError,
    imdsEndpoint: read.url(ENV.imdsEndpoint) ?? IMDS_DEFAULT_ENDPOINT,
    imdsTimeoutMs: read.positiveInt(ENV.imdsTimeout, DEFAULT_IMDS_TIMEOUT_MS),
    armEndpoint: read.url(ENV.armEndpoint) ?? ARM_DEFAULT_ENDPOINT,
    operationTimeoutMs: read.positiveInt(ENV.operationTimeout, DEFAULT_OPERATION_TIMEOUT_MS),
    requestTimeoutMs: read.positiveInt(ENV.requestTimeout, DEFAULT_REQUEST_TIMEOUT_MS),
    maxAttempts: read.positiveInt(ENV.maxAttempts, DEFAULT_MAX_ATTEMPTS),
    warnings: read.warnings,
  };
}
