// The GCP plugin, started by main.ts once the host's cookie is confirmed.
// Nothing Google is loaded or asked here: the metadata server and the auth
// library come on the first call that needs them, so the plugin starts as
// fast as the local one and a broken network is reported per call.
import { createLogger, levelFromEnv, serve } from '../../src/sdk/index.js';
import { rememberSuccess } from '../../src/sdk/remember.js';
import { readConfig } from './config.js';
import { GcpProvider } from './provider.js';
import { whereAmI } from './where-am-i.js';

const logger = createLogger({ name: 'gcp', level: levelFromEnv(process.env.SNOOZEBOT_LOG_LEVEL) });
const config = readConfig(process.env);
for (const warning of config.warnings) logger.warn(warning);
logger.debug(
  {
    project: config.project,
    zone: config.zone,
    instance: config.instance,
    suspend: config.suspend,
    discardLocalSsd: config.discardLocalSsd,
    allowMig: config.allowMig,
    dryRun: config.dryRun,
    listLabel: config.listLabel,
    computeEndpoint: config.computeEndpoint,
    metadata: config.metadataBase,
  },
  'gcp plugin settings',
);

const provider = new GcpProvider({
  config,
  logger,
  whereAmI: rememberSuccess(() => whereAmI(config)),
  compute: async (project) => {
    const { Compute } = await import('./compute.js');
    return new Compute({ project, endpoint: config.computeEndpoint, requestTimeoutMs: config.requestTimeoutMs, maxAttempts: config.maxAttempts });
  },
});
void serve(provider, { logger });
