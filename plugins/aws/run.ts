// The AWS plugin, started by main.ts once the host's cookie is confirmed.
// Nothing AWS is loaded or asked here: IMDS and the EC2 client come on the
// first call that needs them, so the plugin starts as fast as the local one
// and a broken IMDS or network is reported per call while the plugin serves.
import { createLogger, levelFromEnv, serve } from '../../src/sdk/index.js';
import { ENV, readConfig } from './config.js';
import { AwsProvider } from './provider.js';
import { rememberWhereabouts, whereAmI } from './where-am-i.js';

const logger = createLogger({ name: 'aws', level: levelFromEnv(process.env.SNOOZEBOT_LOG_LEVEL) });
const config = readConfig(process.env);
for (const warning of config.warnings) logger.warn(warning);
logger.debug(
  { instanceId: config.instanceId, region: config.region, hibernate: config.hibernate, dryRun: config.dryRun, listTag: config.listTag },
  'aws plugin settings',
);
const endpoint = process.env[ENV.ec2Endpoint]?.trim() || undefined;

const provider = new AwsProvider({
  config,
  logger,
  whereAmI: rememberWhereabouts(() => whereAmI(config)),
  ec2: async (region) => {
    const { Ec2 } = await import('./ec2.js');
    return new Ec2({ region, endpoint });
  },
});
void serve(provider, { logger });
