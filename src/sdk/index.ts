// The plugin SDK: implement CloudProvider, call serve().
export { serve } from './serve.js';
export { exitUnlessLaunchedByHost } from './launch-guard.js';
export type { ServeOptions, ServingPlugin } from './serve.js';
export { API_VERSION } from './provider.js';
export type { CloudProvider, InstanceDetails, OperationOutcome } from './provider.js';
export { PluginError } from './errors.js';
export type { StatusName } from './errors.js';
export { createLogger, levelFromEnv } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { PluginServer } from './server.js';
export type { PluginServerOptions } from './server.js';
