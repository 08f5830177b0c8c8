// Which instance this plugin runs on, and where: the instance metadata
// service (IMDSv2: a PUT for a session token, then GETs that carry it), with
// short timeouts so a machine that is not on EC2 fails fast. Off EC2 (or to
// skip IMDS), SNOOZEBOT_AWS_INSTANCE_ID and AWS_REGION say it instead; when
// both are set IMDS is not asked at all.
import { PluginError } from '../../src/sdk/errors.js';
import { rememberSuccess } from '../../src/sdk/remember.js';
import type { AwsConfig } from './config.js';
import { ENV, IMDS_IPV4_ENDPOINT } from './config.js';

export interface Whereabouts {
  readonly instanceId: string;
  readonly region: string;
  /** From IMDS; undefined when the environment said everything. */
  readonly zone: string | undefined;
  readonly type: string | undefined;
}

type ImdsConfig = Pick<AwsConfig, 'instanceId' | 'region' | 'imdsTimeoutMs' | 'imdsEndpoint'>;

/** Short: this token is used for four GETs right away, and the answer is cached. */
const TOKEN_TTL_SECONDS = 60;
/** One retry: enough for a blip, and still quick to give up off EC2. */
const IMDS_RETRIES = 1;
const IMDS_BACKOFF_SECONDS = 0.1;

export const IMDS_HINT =
  `on EC2, check that the instance metadata service is enabled (HttpEndpoint=enabled) and, inside a container, ` +
  `that the metadata hop limit is at least 2; off EC2, set ${ENV.instanceId} and ${ENV.region}`;

/** For messages: the endpoint the metadata client will use. */
export function imdsEndpointLabel(config: Pick<AwsConfig, 'imdsEndpoint'>): string {
  return config.imdsEndpoint ?? IMDS_IPV4_ENDPOINT;
}

function detail(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // The metadata client nests "Error: ..." prefixes; one is enough.
  return message.replace(/(?:Error: )+/g, '').replace(/\s+/g, ' ').trim();
}

async function readImds(config: ImdsConfig): Promise<{ instanceId: string; region: string; zone: string; type: string }> {
  // Loaded on first use: a plugin that never asks IMDS (both overrides set)
  // does not pay for it, and neither does the plugin's start.
  const { MetadataService } = await import('@aws-sdk/ec2-metadata-service');
  const service = new MetadataService({
    ...(config.imdsEndpoint === undefined ? {} : { endpoint: config.imdsEndpoint }),
    httpOptions: { timeout: config.imdsTimeoutMs },
    retries: IMDS_RETRIES,
    backoff: IMDS_BACKOFF_SECONDS,
    tokenTtl: TOKEN_TTL_SECONDS,
    // The token is fetched once below and passed to each GET.
    disableFetchToken: true,
    ec2MetadataV1Disabled: false,
  });
  const token = await service.fetchMetadataToken();
  const get = async (path: string): Promise<string> => {
    const value = (await service.request(`/latest/meta-data/${path}`, { headers: { 'x-aws-ec2-metadata-token': token } })).trim();
    if (value === '') throw new Error(`IMDS answered ${path} with nothing`);
    return value;
  };
  const [instanceId, region, zone, type] = await Promise.all([
    get('instance-id'),
    get('placement/region'),
    get('placement/availability-zone'),
    get('instance-type'),
  ]);
  return { instanceId, region, zone, type };
}

/** Asks IMDS unless the environment says both the instance and the region; the environment wins. */
export async function whereAmI(config: ImdsConfig): Promise<Whereabouts> {
  if (config.instanceId !== undefined && config.region !== undefined) {
    return { instanceId: config.instanceId, region: config.region, zone: undefined, type: undefined };
  }
  let imds: Awaited<ReturnType<typeof readImds>>;
  try {
    imds = await readImds(config);
  } catch (error) {
    throw new PluginError(
      'UNAVAILABLE',
      `cannot tell which EC2 instance this is: the instance metadata service at ${imdsEndpointLabel(config)} did not answer: ${detail(error)}`,
      { hint: IMDS_HINT, cause: error },
    );
  }
  return {
    instanceId: config.instanceId ?? imds.instanceId,
    region: config.region ?? imds.region,
    zone: imds.zone,
    type: imds.type,
  };
}

/** whereAmI, asked once for the plugin's life (a failure is asked again); see rememberSuccess. */
export function rememberWhereabouts(lookup: () => Promise<Whereabouts>): () => Promise<Whereabouts> {
  return rememberSuccess(lookup);
}
