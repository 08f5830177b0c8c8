// A small Google Cloud for one test: a local metadata server and Compute API
// sharing a token book, one instance (this machine), and the bundled
// dist/plugins/gcp started by our host with an environment that points only
// at them.
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { PluginProcess } from '../../src/host/plugin-process.js';
import { pluginEnv, startBundledPlugin } from '../helpers/bundled-plugin.js';
import type { StartOptions } from '../helpers/bundled-plugin.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { ComputeEndpoint } from './compute-endpoint.js';
import type { ComputeEndpointOptions, InstanceSeed } from './compute-endpoint.js';
import { MetadataServer } from './metadata-server.js';
import type { MetadataOptions } from './metadata-server.js';
import { TokenBook } from './tokens.js';

export const GCP_PLUGIN = join(REPO_ROOT, 'dist/plugins/gcp');

export const HERE = {
  project: 'snoozebot-test',
  numericProject: '123456789012',
  zone: 'europe-west1-b',
  instance: 'build-box',
  instanceId: '4567890123456789012',
  machineType: 'e2-standard-4',
} as const;

export const SERVICE_ACCOUNT = {
  email: 'snoozebot@snoozebot-test.iam.gserviceaccount.com',
  scopes: ['https://www.googleapis.com/auth/cloud-platform'],
};

export const HERE_SEED: InstanceSeed = {
  name: HERE.instance,
  id: HERE.instanceId,
  machineType: HERE.machineType,
  labels: { team: 'blue' },
  lastStartTimestamp: '2024-03-04T05:06:07.000Z',
};

export interface GcpWorldOptions {
  readonly compute?: Partial<Omit<ComputeEndpointOptions, 'tokens'>>;
  readonly metadata?: Partial<Omit<MetadataOptions, 'tokens'>>;
}

export interface GcpWorld {
  readonly tokens: TokenBook;
  readonly metadata: MetadataServer;
  readonly compute: ComputeEndpoint;
  /** The plugin's whole environment: both endpoints and nothing of this machine's Google setup; `extra` wins, undefined leaves a key out. */
  env(extra?: Readonly<Record<string, string | undefined>>): Record<string, string>;
}

export async function startGcpWorld(t: TestContext, options: GcpWorldOptions = {}): Promise<GcpWorld> {
  const tokens = new TokenBook();
  const compute = await ComputeEndpoint.start({
    project: HERE.project,
    zone: HERE.zone,
    tokens,
    instances: [HERE_SEED],
    ...options.compute,
  });
  t.after(() => compute.close());
  const metadata = await MetadataServer.start({ ...HERE, tokens, serviceAccount: SERVICE_ACCOUNT, ...options.metadata });
  t.after(() => metadata.close());
  return {
    tokens,
    metadata,
    compute,
    env(extra = {}) {
      const base: Record<string, string | undefined> = {
        GCE_METADATA_HOST: metadata.host,
        SNOOZEBOT_GCP_COMPUTE_ENDPOINT: compute.url,
        // Nothing from this machine's own gcloud setup may leak in.
        CLOUDSDK_CONFIG: '/nonexistent/snoozebot-test/gcloud',
        ...extra,
      };
      return pluginEnv(base);
    },
  };
}

/** dist/plugins/gcp started by our host with exactly `env` (plus PATH and the protocol variables). */
export function startGcpPlugin(t: TestContext, env: Record<string, string>, options: StartOptions = {}): Promise<PluginProcess> {
  return startBundledPlugin(t, GCP_PLUGIN, env, options);
}
