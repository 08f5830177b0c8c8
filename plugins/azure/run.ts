// The Azure plugin, started by main.ts once the host's cookie is confirmed.
// Nothing Azure is loaded or asked here: IMDS and the SDK come on the first
// call that needs them, so the plugin starts as fast as the local one and a
// broken network is reported per call.
import { createLogger, levelFromEnv, serve } from '../../src/sdk/index.js';
import { rememberSuccess } from '../../src/sdk/remember.js';
import { ENV, IMDS_DEFAULT_ENDPOINT, readConfig } from './config.js';
import { AzureProvider } from './provider.js';
import { whereAmI } from './where-am-i.js';

const logger = createLogger({ name: 'azure', level: levelFromEnv(process.env.SNOOZEBOT_LOG_LEVEL) });
const config = readConfig(process.env);
for (const warning of config.warnings) logger.warn(warning);
// One setting moves IMDS for both the plugin and the managed-identity token
// requests, which @azure/identity sends to AZURE_POD_IDENTITY_AUTHORITY_HOST when set.
if (config.imdsEndpoint !== IMDS_DEFAULT_ENDPOINT && !process.env[ENV.podIdentityHost]) {
  process.env[ENV.podIdentityHost] = config.imdsEndpoint;
}
logger.debug(
  {
    subscriptionId: config.subscriptionId,
    resourceGroup: config.resourceGroup,
    vmName: config.vmName,
    stopMode: config.stopMode,
    clientId: config.clientId,
    dryRun: config.dryRun,
    listTag: config.listTag,
    armEndpoint: config.armEndpoint,
    imdsEndpoint: config.imdsEndpoint,
  },
  'azure plugin settings',
);
if (config.stopMode === 'power-off') {
  logger.warn('SNOOZEBOT_AZURE_STOP_MODE=power-off: a powered-off VM keeps its hardware and is still billed; deallocate is what stops the charges');
}

const provider = new AzureProvider({
  config,
  logger,
  whereAmI: rememberSuccess(() => whereAmI(config)),
  arm: async (subscriptionId) => {
    const { Arm } = await import('./arm.js');
    return new Arm({
      endpoint: config.armEndpoint,
      subscriptionId,
      clientId: config.clientId,
      requestTimeoutMs: config.requestTimeoutMs,
      maxAttempts: config.maxAttempts,
    });
  },
});
void serve(provider, { logger });
