// The GCP plugin's settings, all from its environment (the daemon passes a
// plugin's configured variables through). Pure: parsing only.
import { SettingsReader, parseKeyValue } from '../../src/sdk/settings.js';
import type { Env, KeyValue } from '../../src/sdk/settings.js';

export const ENV = {
  project: 'SNOOZEBOT_GCP_PROJECT',
  zone: 'SNOOZEBOT_GCP_ZONE',
  instance: 'SNOOZEBOT_GCP_INSTANCE',
  suspend: 'SNOOZEBOT_GCP_SUSPEND',
  discardLocalSsd: 'SNOOZEBOT_GCP_DISCARD_LOCAL_SSD',
  allowMig: 'SNOOZEBOT_GCP_ALLOW_MIG',
  listLabel: 'SNOOZEBOT_GCP_LIST_LABEL',
  metadataTimeout: 'SNOOZEBOT_GCP_METADATA_TIMEOUT_MS',
  operationTimeout: 'SNOOZEBOT_GCP_OPERATION_TIMEOUT_MS',
  requestTimeout: 'SNOOZEBOT_GCP_REQUEST_TIMEOUT_MS',
  maxAttempts: 'SNOOZEBOT_GCP_MAX_ATTEMPTS',
  computeEndpoint: 'SNOOZEBOT_GCP_COMPUTE_ENDPOINT',
  // Google's own names: its auth library reads them too, so the plugin's
  // metadata reads and the library's token requests go to the same server.
  metadataIp: 'GCE_METADATA_IP',
  metadataHost: 'GCE_METADATA_HOST',
  credentials: 'GOOGLE_APPLICATION_CREDENTIALS',
  dryRun: 'SNOOZEBOT_DRY_RUN',
} as const;

export const METADATA_DEFAULT_HOST = '169.254.169.254';
export const COMPUTE_DEFAULT_ENDPOINT = 'https://compute.googleapis.com/compute/v1';
export const DEFAULT_METADATA_TIMEOUT_MS = 1_000;
/** Below the host's default 30 s call deadline, so the plugin answers first. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 20_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 3;

export interface GcpConfig {
  /** Set all three to run off GCE (then the metadata server is not asked); each wins over the metadata server. */
  readonly project: string | undefined;
  readonly zone: string | undefined;
  readonly instance: string | undefined;
  /** StopInstance suspends (instances.suspend) instead of stopping. */
  readonly suspend: boolean;
  /** instances.stop/suspend with discardLocalSsd=true; default keep. */
  readonly discardLocalSsd: boolean;
  /** Stop an instance that a managed instance group created. */
  readonly allowMig: boolean;
  readonly dryRun: boolean;
  /** ListInstances only lists instances with this label; a malformed setting is kept as an error. */
  readonly listLabel: KeyValue | undefined;
  readonly listLabelError: string | undefined;
  readonly metadataTimeoutMs: number;
  readonly operationTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Attempts per idempotent Compute request (reads and operation polls), retries included. */
  readonly maxAttempts: number;
  /** The metadata server's base URL, as Google's libraries choose it. */
  readonly metadataBase: string;
  readonly computeEndpoint: string;
  /** Problems worth a warning at start: the plugin still serves. */
  readonly warnings: readonly string[];
}

// Compute Engine's label rules: lowercase letters, digits, "_" and "-", a key starting with a letter.
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{1,63}$/;

/** "key=value": the label ListInstances filters on, checked so it cannot change the filter's meaning. */
export function parseLabelFilter(value: string): KeyValue | string {
  const parsed = parseKeyValue(value);
  if (parsed === undefined || !LABEL_KEY.test(parsed.key) || !LABEL_VALUE.test(parsed.value)) {
    return (
      `${ENV.listLabel} must look like key=value with a Compute Engine label's characters ` +
      `(lowercase letters, digits, "_" and "-"; e.g. snoozebot=managed), got ${JSON.stringify(value)}`
    );
  }
  return parsed;
}

/** GCE_METADATA_IP, then GCE_METADATA_HOST, then the link-local address; http:// unless a scheme is given. */
export function metadataBase(env: Env): string {
  const host = env[ENV.metadataIp]?.trim() || env[ENV.metadataHost]?.trim() || METADATA_DEFAULT_HOST;
  return (/^https?:\/\//.test(host) ? host : `http://${host}`).replace(/\/+$/, '');
}

export function readConfig(env: Env): GcpConfig {
  const read = new SettingsReader(env);
  let listLabel: KeyValue | undefined;
  let listLabelError: string | undefined;
  const labelSetting = read.text(ENV.listLabel);
  if (labelSetting !== undefined) {
    const parsed = parseLabelFilter(labelSetting);
    if (typeof parsed === 'string') {
      listLabelError = parsed;
      read.warnings.push(parsed);
    } else {
      listLabel = parsed;
    }
  }
  const config = {
    project: read.text(ENV.project),
    zone: read.text(ENV.zone),
    instance: read.text(ENV.instance),
    suspend: read.flag(ENV.suspend),
    discardLocalSsd: read.flag(ENV.discardLocalSsd),
    allowMig: read.flag(ENV.allowMig),
    dryRun: read.flag(ENV.dryRun),
    listLabel,
    listLabelError,
    metadataTimeoutMs: read.positiveInt(ENV.metadataTimeout, DEFAULT_METADATA_TIMEOUT_MS),
    operationTimeoutMs: read.positiveInt(ENV.operationTimeout, DEFAULT_OPERATION_TIMEOUT_MS),
    requestTimeoutMs: read.positiveInt(ENV.requestTimeout, DEFAULT_REQUEST_TIMEOUT_MS),
    maxAttempts: read.positiveInt(ENV.maxAttempts, DEFAULT_MAX_ATTEMPTS),
    metadataBase: metadataBase(env),
    computeEndpoint: read.url(ENV.computeEndpoint) ?? COMPUTE_DEFAULT_ENDPOINT,
  };
  return { ...config, warnings: read.warnings };
}
