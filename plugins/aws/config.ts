// The AWS plugin's settings, all from its environment (the daemon passes a
// plugin's configured variables through). Pure: parsing only, so the rules
// are unit-tested and run.ts stays a few lines.

import { nonEmpty, parseFlag, parseKeyValue } from '../../src/sdk/settings.js';
import type { Env, KeyValue } from '../../src/sdk/settings.js';

export { parseFlag };

export const ENV = {
  instanceId: 'SNOOZEBOT_AWS_INSTANCE_ID',
  region: 'AWS_REGION',
  hibernate: 'SNOOZEBOT_AWS_HIBERNATE',
  listTag: 'SNOOZEBOT_AWS_LIST_TAG',
  imdsTimeout: 'SNOOZEBOT_AWS_IMDS_TIMEOUT_MS',
  imdsEndpoint: 'AWS_EC2_METADATA_SERVICE_ENDPOINT',
  imdsEndpointMode: 'AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE',
  ec2Endpoint: 'AWS_ENDPOINT_URL_EC2',
  dryRun: 'SNOOZEBOT_DRY_RUN',
} as const;

/** The tag ListInstances filters on. */
export type TagFilter = KeyValue;

export interface AwsConfig {
  /** Set to run off-instance (or to skip IMDS): the instance this plugin manages. */
  readonly instanceId: string | undefined;
  /** AWS_REGION: wins over the region IMDS reports. */
  readonly region: string | undefined;
  /** StopInstances with Hibernate=true. */
  readonly hibernate: boolean;
  /** The daemon's --dry-run: StopInstance/StartInstance only log. */
  readonly dryRun: boolean;
  /** ListInstances only lists instances with this tag; a malformed setting is kept as an error. */
  readonly listTag: TagFilter | undefined;
  readonly listTagError: string | undefined;
  /** Connect and answer timeout of each IMDS request. */
  readonly imdsTimeoutMs: number;
  /** An explicit IMDS endpoint, else undefined (the SDK's default and profile settings apply). */
  readonly imdsEndpoint: string | undefined;
  /** Problems worth a warning at start: the plugin still serves. */
  readonly warnings: readonly string[];
}

export const DEFAULT_IMDS_TIMEOUT_MS = 1_000;
/** The IPv6 address IMDS answers on, for AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 (the SDK's own constant). */
export const IMDS_IPV6_ENDPOINT = 'http://[fd00:ec2::254]';
export const IMDS_IPV4_ENDPOINT = 'http://169.254.169.254';

/** "Key=Value" (split at the first "="): the tag ListInstances filters on. */
export function parseTagFilter(value: string): TagFilter | string {
  return parseKeyValue(value) ?? `${ENV.listTag} must look like Key=Value (e.g. snoozebot=managed), got ${JSON.stringify(value)}`;
}

export function readConfig(env: Env): AwsConfig {
  const warnings: string[] = [];
  const flag = (name: string): boolean => {
    const parsed = parseFlag(env[name]);
    if (parsed === undefined) warnings.push(`${name}=${JSON.stringify(env[name])} is neither true nor false; taking false`);
    return parsed ?? false;
  };

  let listTag: TagFilter | undefined;
  let listTagError: string | undefined;
  const tagSetting = nonEmpty(env[ENV.listTag]);
  if (tagSetting !== undefined) {
    const parsed = parseTagFilter(tagSetting);
    if (typeof parsed === 'string') {
      listTagError = parsed;
      warnings.push(parsed);
    } else {
      listTag = parsed;
    }
  }

  let imdsTimeoutMs = DEFAULT_IMDS_TIMEOUT_MS;
  const timeoutSetting = nonEmpty(env[ENV.imdsTimeout]);
  if (timeoutSetting !== undefined) {
    const parsed = Number(timeoutSetting);
    if (Number.isInteger(parsed) && parsed > 0) imdsTimeoutMs = parsed;
    else warnings.push(`${ENV.imdsTimeout}=${JSON.stringify(timeoutSetting)} is not a positive whole number; using ${DEFAULT_IMDS_TIMEOUT_MS}`);
  }

  // The metadata-service client reads AWS_EC2_METADATA_SERVICE_ENDPOINT (and
  // the profile's ec2_metadata_service_endpoint) itself, but not the endpoint
  // mode: IPv6-only instances need the address chosen here.
  const explicitEndpoint = nonEmpty(env[ENV.imdsEndpoint]);
  const ipv6 = nonEmpty(env[ENV.imdsEndpointMode])?.toLowerCase() === 'ipv6';

  return {
    instanceId: nonEmpty(env[ENV.instanceId]),
    region: nonEmpty(env[ENV.region]),
    hibernate: flag(ENV.hibernate),
    dryRun: flag(ENV.dryRun),
    listTag,
    listTagError,
    imdsTimeoutMs,
    imdsEndpoint: explicitEndpoint ?? (ipv6 ? IMDS_IPV6_ENDPOINT : undefined),
    warnings,
  };
}
