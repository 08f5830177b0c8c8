// A small AWS for one test: a local EC2 endpoint and IMDS with one instance
// (this machine), test credentials, and the bundled dist/plugins/aws started
// by our host with an environment that points only at them.
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { PluginProcess } from '../../src/host/plugin-process.js';
import { pluginEnv, startBundledPlugin } from '../helpers/bundled-plugin.js';
import type { StartOptions } from '../helpers/bundled-plugin.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { Ec2Endpoint } from './ec2-endpoint.js';
import type { Ec2EndpointOptions, InstanceSeed } from './ec2-endpoint.js';
import { ImdsServer } from './imds-server.js';
import type { ImdsOptions } from './imds-server.js';
import type { TestCredentials } from './sigv4.js';

export const AWS_PLUGIN = join(REPO_ROOT, 'dist/plugins/aws');

export const TEST_CREDENTIALS: TestCredentials = {
  accessKeyId: 'AKIASNOOZEBOTTEST001',
  secretAccessKey: 'snoozebot/test/secret+0123456789abcdefABCDEF',
};

/** The instance the plugin runs on, as IMDS describes it. */
export const HERE = {
  instanceId: 'i-0123456789abcdef0',
  region: 'eu-west-1',
  zone: 'eu-west-1b',
  type: 't3.small',
} as const;

export const HERE_SEED: InstanceSeed = {
  id: HERE.instanceId,
  name: 'build-box',
  type: HERE.type,
  zone: HERE.zone,
  launchTime: new Date('2024-03-04T05:06:07.000Z'),
  tags: { team: 'blue' },
};

export interface WorldOptions {
  readonly ec2?: Partial<Ec2EndpointOptions>;
  readonly imds?: Partial<ImdsOptions>;
}

export interface World {
  readonly ec2: Ec2Endpoint;
  readonly imds: ImdsServer;
  /**
   * The plugin's whole environment: test credentials, both endpoints, no
   * AWS_REGION (IMDS says it), no shared config files; `extra` wins, and a
   * key set to undefined is left out.
   */
  env(extra?: Readonly<Record<string, string | undefined>>): Record<string, string>;
}

export async function startWorld(t: TestContext, options: WorldOptions = {}): Promise<World> {
  const ec2 = await Ec2Endpoint.start({
    region: HERE.region,
    credentials: [TEST_CREDENTIALS],
    instances: [HERE_SEED],
    ...options.ec2,
  });
  t.after(() => ec2.close());
  const imds = await ImdsServer.start({ ...HERE, ...options.imds });
  t.after(() => imds.close());
  return {
    ec2,
    imds,
    env(extra = {}) {
      const base: Record<string, string | undefined> = {
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_EC2: ec2.url,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
        // Nothing from this machine's own AWS setup may leak in.
        AWS_CONFIG_FILE: '/nonexistent/snoozebot-test/aws-config',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/snoozebot-test/aws-credentials',
        ...extra,
      };
      return pluginEnv(base);
    },
  };
}

/** dist/plugins/aws started by our host with exactly `env` (plus PATH and the protocol variables). */
export function startAwsPlugin(t: TestContext, env: Record<string, string>, options: StartOptions = {}): Promise<PluginProcess> {
  return startBundledPlugin(t, AWS_PLUGIN, env, options);
}
