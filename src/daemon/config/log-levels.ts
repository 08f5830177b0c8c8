// The daemon's log levels (pino's). A module of its own so the CLI can offer
// them as choices without loading the config parser and zod.
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
