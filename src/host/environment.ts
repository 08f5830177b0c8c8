// The environment a host gives a plugin (docs/protocol.md; go-plugin's
// "Environment the host sets"). Pure: the caller supplies its own environment.
import { ENV, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../handshake/index.js';

export interface PluginEnvironmentInput {
  readonly hostEnv: Readonly<Record<string, string | undefined>>;
  readonly inheritEnv: boolean;
  readonly extra: Readonly<Record<string, string>>;
  readonly appVersions: readonly number[];
  readonly portRange: readonly [number, number];
  readonly socketDir: string;
  readonly clientCertPem: string | undefined;
}

export function pluginEnvironment(input: PluginEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {};
  if (input.inheritEnv) {
    for (const [key, value] of Object.entries(input.hostEnv)) if (value !== undefined) env[key] = value;
  } else {
    // Even a clean environment needs a PATH for plugins that run commands, and TZ/LANG-free is fine.
    if (input.hostEnv.PATH !== undefined) env.PATH = input.hostEnv.PATH;
  }
  // A plugin must not see AutoMTLS settings that are not meant for it.
  delete env[ENV.clientCert];
  // go-plugin before 1.4 ignores PLUGIN_UNIX_SOCKET_DIR and makes its socket in
  // $TMPDIR; there it would outlive a plugin that is killed. In the socket
  // directory it goes with everything else once the plugin is gone.
  env.TMPDIR = input.socketDir;
  Object.assign(env, input.extra);
  // Protocol variables last, so configuration can never override them.
  env[MAGIC_COOKIE_KEY] = MAGIC_COOKIE_VALUE;
  env[ENV.protocolVersions] = input.appVersions.join(',');
  env[ENV.minPort] = String(input.portRange[0]);
  env[ENV.maxPort] = String(input.portRange[1]);
  env[ENV.unixSocketDir] = input.socketDir;
  if (input.clientCertPem !== undefined) env[ENV.clientCert] = input.clientCertPem;
  return env;
}
