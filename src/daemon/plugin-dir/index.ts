// The plugins directory: which entries are plugins, which may run, and what changes.
export { entryKind } from './entry-kind.js';
export type { EntryKind } from './entry-kind.js';
export { PluginDirError, pluginDirError } from './errors.js';
export type { PluginDirErrorCode } from './errors.js';
export { decidePlugin, dirFacts, fileFacts, inspectPlugin } from './inspect.js';
export type { DirFacts, FileFacts, InspectOptions, LinkTarget, PluginFacts, Verdict } from './inspect.js';
export { isIgnoredName } from './names.js';
export { scanPluginDir } from './scan.js';
export type { PluginDirEntry, ScanOptions } from './scan.js';
export { watchPluginDir } from './watch.js';
export type { PluginDirHandlers, PluginDirWatcher, WatchOptions } from './watch.js';
