// Which instance this plugin runs on: the GCE metadata server (every request
// carries `Metadata-Flavor: Google`, and an answer without that header is not
// from a metadata server). The environment overrides each fact; with project,
// zone and instance all set the metadata server is not asked at all.
//
// Read with fetch rather than gcp-metadata (which the auth library uses for
// tokens): that library waits 3 s per request off GCE and has no deadline at
// all on GCE, with three retries, while a machine that is not on GCE should be
// told so within a second. Both honour GCE_METADATA_IP / GCE_METADATA_HOST.
import { PluginError } from '../../src/sdk/errors.js';
import type { GcpConfig } from './config.js';
import { ENV } from './config.js';

export interface Whereabouts {
  readonly project: string;
  readonly zone: string;
  readonly instance: string;
  /** From the metadata server; undefined when the environment said everything. */
  readonly instanceId: string | undefined;
  readonly machineType: string | undefined;
  /** The `created-by` attribute: a managed instance group's URL when one created this instance. */
  readonly createdBy: string | undefined;
}

type MetadataConfig = Pick<GcpConfig, 'project' | 'zone' | 'instance' | 'metadataBase' | 'metadataTimeoutMs'>;

export const METADATA_HINT =
  'on GCE the metadata server always answers: check that nothing (a proxy setting, a firewall rule on the machine) ' +
  `intercepts 169.254.169.254; off GCE, set ${ENV.project}, ${ENV.zone} and ${ENV.instance}`;

/** The last segment of a resource path: "projects/123/zones/europe-west1-b" → "europe-west1-b". */
export function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

class MetadataAnswerError extends Error {}

async function get(config: MetadataConfig, path: string, optional = false): Promise<string | undefined> {
  const url = `${config.metadataBase}/computeMetadata/v1/${path}`;
  const answer = await fetch(url, {
    headers: { 'Metadata-Flavor': 'Google' },
    signal: AbortSignal.timeout(config.metadataTimeoutMs),
    redirect: 'error',
  });
  const body = (await answer.text()).trim();
  if (answer.headers.get('metadata-flavor') !== 'Google') {
    throw new MetadataAnswerError(`${url} answered without "Metadata-Flavor: Google": not a GCE metadata server`);
  }
  if (answer.status === 404 && optional) return undefined;
  if (answer.status !== 200) throw new MetadataAnswerError(`${url} answered HTTP ${answer.status} ${body.slice(0, 200)}`);
  if (body === '') throw new MetadataAnswerError(`${url} answered with nothing`);
  return body;
}

function detail(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error instanceof Error ? error.message : String(error)}${cause}`;
}

export async function whereAmI(config: MetadataConfig): Promise<Whereabouts> {
  const { project, zone, instance } = config;
  if (project !== undefined && zone !== undefined && instance !== undefined) {
    return { project, zone, instance, instanceId: undefined, machineType: undefined, createdBy: undefined };
  }
  try {
    const [mdProject, mdZone, mdName, mdId, mdType, createdBy] = await Promise.all([
      get(config, 'project/project-id'),
      get(config, 'instance/zone'),
      get(config, 'instance/name'),
      get(config, 'instance/id'),
      get(config, 'instance/machine-type'),
      get(config, 'instance/attributes/created-by', true),
    ]);
    return {
      project: project ?? (mdProject as string),
      zone: zone ?? lastSegment(mdZone as string),
      instance: instance ?? (mdName as string),
      instanceId: mdId,
      machineType: mdType === undefined ? undefined : lastSegment(mdType),
      createdBy,
    };
  } catch (error) {
    throw new PluginError(
      'UNAVAILABLE',
      `cannot tell which GCE instance this is: the metadata server at ${config.metadataBase} did not answer: ${detail(error)}`,
      { hint: METADATA_HINT, cause: error },
    );
  }
}
