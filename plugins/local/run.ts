// The local plugin, started by main.ts once the host's cookie is confirmed.
import { createLogger, levelFromEnv, serve } from '../../src/sdk/index.js';
import { readMachineFacts } from './machine.js';
import { LocalProvider, STOP_COMMAND_ENV } from './provider.js';

const logger = createLogger({ name: 'local', level: levelFromEnv(process.env.SNOOZEBOT_LOG_LEVEL) });
const stopCommand = process.env[STOP_COMMAND_ENV]?.trim() || undefined;
void serve(new LocalProvider({ facts: () => readMachineFacts(), logger, stopCommand }), { logger });
