// The plugins directory: which entries are plugins, which may run, and what changes.
export { entryKind } from './entry-kind.js';
export type { EntryKind } from './entry-kind.js';
export { PluginDirError, pluginDirError } from './errors.js';
export type { PluginDirErrorCode } from './errors.js';
export { inspectPlugin } from './inspect.js';
export type { InspectOptions } from './inspect.js';
export { isExecutableFormat, judgeWalk } from './trust.js';
export type { NodeKind, NodeRole, PathNode, PluginWalk, Verdict, WalkEnd, WalkStep } from './trust.js';
export { walkPluginPath } from './walk.js';
export { isIgnoredName } from './names.js';
export { scanPluginDir } from './scan.js';
export type { PluginDirEntry, ScanOptions } from './scan.js';
export { watchPluginDir } from './watch.js';
export type { PluginDirHandlers, PluginDirWatcher, WatchOptions } from './watch.js';
export { trustVerifier } from './verify.js';
