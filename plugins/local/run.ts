// The local plugin, started by main.ts once the host's cookie is confirmed.
import { createLogger, levelFromEnv, serve } from '../../src/sdk/index.js';
import { readMachineFacts } from './machine.js';
import { DRY_RUN_ENV, LocalProvider, STOP_COMMAND_ENV, isDryRun } from './provider.js';

const logger = createLogger({ name: 'local', level: levelFromEnv(process.env.SNOOZEBOT_LOG_LEVEL) });
const configured = process.env[STOP_COMMAND_ENV]?.trim() || undefined;
// The daemon's --dry-run reaches plugins as SNOOZEBOT_DRY_RUN: it wins over a configured stop command.
const stopCommand = isDryRun(process.env[DRY_RUN_ENV]) ? undefined : configured;
if (configured !== undefined && stopCommand === undefined) logger.info(`${DRY_RUN_ENV} is set: ignoring ${STOP_COMMAND_ENV}`);
void serve(new LocalProvider({ facts: () => readMachineFacts(), logger, stopCommand }), { logger });
