// A small Azure for one test: a local IMDS (instance metadata and
// managed-identity tokens) and a local ARM over HTTPS with a CA made for the
// test, one VM (this machine), and the bundled dist/plugins/azure started by
// our host with an environment that points only at them. The plugin trusts
// the CA the way an operator would make it trust a private one:
// NODE_EXTRA_CA_CERTS in its environment.
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { PluginProcess } from '../../src/host/plugin-process.js';
import { pluginEnv, startBundledPlugin } from '../helpers/bundled-plugin.js';
import type { StartOptions } from '../helpers/bundled-plugin.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { createTestCa } from '../helpers/test-ca.js';
import type { TestCa } from '../helpers/test-ca.js';
import { ArmEndpoint } from './arm-endpoint.js';
import type { ArmEndpointOptions, VmSeed } from './arm-endpoint.js';
import { AzureImdsServer, TokenStore } from './imds-server.js';
import type { AzureIdentity, Identities } from './imds-server.js';

export const AZURE_PLUGIN = join(REPO_ROOT, 'dist/plugins/azure');

export const HERE = {
  subscriptionId: '0b1f6471-1bf0-4dda-aec3-111122223333',
  resourceGroup: 'build-rg',
  vmName: 'build-box',
  vmId: '02aab8a4-74ef-476e-8182-f6d2ba4166a6',
  vmSize: 'Standard_D4s_v5',
  location: 'westeurope',
  zone: '2',
} as const;

export const HERE_SEED: VmSeed = {
  name: HERE.vmName,
  vmId: HERE.vmId,
  vmSize: HERE.vmSize,
  zone: HERE.zone,
  tags: { team: 'blue' },
  timeCreated: '2024-03-04T05:06:07.0000000+00:00',
};

export interface AzureWorldOptions {
  readonly arm?: Partial<Omit<ArmEndpointOptions, 'tokens' | 'tls'>>;
  readonly identity?: Partial<AzureIdentity>;
  readonly identities?: Identities;
}

export interface AzureWorld {
  readonly ca: TestCa;
  readonly tokens: TokenStore;
  readonly imds: AzureImdsServer;
  readonly arm: ArmEndpoint;
  /** The plugin's whole environment; `extra` wins, undefined leaves a key out. */
  env(extra?: Readonly<Record<string, string | undefined>>): Record<string, string>;
}

export async function startAzureWorld(t: TestContext, options: AzureWorldOptions = {}): Promise<AzureWorld> {
  const ca = await createTestCa();
  t.after(() => ca.cleanup());
  const tokens = new TokenStore();
  const arm = await ArmEndpoint.start({
    subscriptionId: HERE.subscriptionId,
    resourceGroup: HERE.resourceGroup,
    location: HERE.location,
    tokens,
    tls: ca,
    vms: [HERE_SEED],
    ...options.arm,
  });
  t.after(() => arm.close());
  const imds = await AzureImdsServer.start({ ...HERE, ...options.identity }, options.identities ?? { systemAssigned: true, userAssigned: [] }, tokens);
  t.after(() => imds.close());
  return {
    ca,
    tokens,
    imds,
    arm,
    env(extra = {}) {
      const base: Record<string, string | undefined> = {
        SNOOZEBOT_AZURE_IMDS_ENDPOINT: imds.url,
        SNOOZEBOT_AZURE_ARM_ENDPOINT: arm.url,
        NODE_EXTRA_CA_CERTS: ca.caFile,
        // Nothing from this machine's own Azure setup may leak in.
        AZURE_CONFIG_DIR: '/nonexistent/snoozebot-test/azure',
        ...extra,
      };
      return pluginEnv(base);
    },
  };
}

/** dist/plugins/azure started by our host with exactly `env` (plus PATH and the protocol variables). */
export function startAzurePlugin(t: TestContext, env: Record<string, string>, options: StartOptions = {}): Promise<PluginProcess> {
  return startBundledPlugin(t, AZURE_PLUGIN, env, options);
}
