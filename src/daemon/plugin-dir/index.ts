// The plugins directory: what is in it, what may run, and what changes.
export { inspectPlugin, judge } from './inspect.js';
export type { FileFacts, InspectOptions, Verdict } from './inspect.js';
export { isCandidateName } from './names.js';
export { scanPluginDir } from './scan.js';
export type { PluginEntry, ScanOptions } from './scan.js';
export { watchPluginDir } from './watch.js';
export type { PluginDirHandlers, PluginDirWatcher } from './watch.js';
