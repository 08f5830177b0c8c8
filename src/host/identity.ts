// What a plugin says it is, asked once it serves: its provider name and
// version (every plugin has them) and its API version, which the Go
// snoozebot guide's plugins do not implement (they are "unversioned" and
// load), judged by the rule of src/handshake/api-version.ts. A plugin whose
// API is not compatible does not load: PLUGIN_INCOMPATIBLE names both versions.
import { judgeApiVersion } from '../handshake/index.js';
import type { ApiVersionVerdict } from '../handshake/index.js';
import type { CloudProviderClient } from './cloud-provider-client.js';
import { HostError } from './errors.js';

export type LoadableApi = Exclude<ApiVersionVerdict, { readonly kind: 'incompatible' }>;

export interface PluginIdentity {
  readonly provider: { readonly name: string; readonly version: string };
  readonly api: LoadableApi;
}

/** GetAPIVersion, judged; UNIMPLEMENTED is an answer too (unversioned). Other failures throw. */
export async function readApiVersion(client: CloudProviderClient): Promise<ApiVersionVerdict> {
  try {
    return judgeApiVersion(await client.apiVersion());
  } catch (error) {
    if (error instanceof HostError && error.code === 'PLUGIN_UNSUPPORTED') return judgeApiVersion(null);
    throw error;
  }
}

export function incompatibleApi(plugin: string, verdict: Extract<ApiVersionVerdict, { readonly kind: 'incompatible' }>): HostError {
  return new HostError('PLUGIN_INCOMPATIBLE', `plugin ${plugin}: ${verdict.reason}`);
}

/** The three identity calls at once; throws PLUGIN_INCOMPATIBLE, or the call's own HostError. */
export async function identifyPlugin(client: CloudProviderClient): Promise<PluginIdentity> {
  const [name, version, api] = await Promise.all([client.providerName(), client.providerVersion(), readApiVersion(client)]);
  if (api.kind === 'incompatible') throw incompatibleApi(client.plugin, api);
  return { provider: { name, version }, api };
}
