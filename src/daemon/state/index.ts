// The state directory: records of the plugin processes the daemon started,
// and the cleanup of leftovers after a daemon that died without stopping them.
export { DEFAULT_PROC_ROOT, ProcStatError, isLive, liveGroupMembers, parseProcStat, readProcStat } from './proc-stat.js';
export type { ProcStat } from './proc-stat.js';
export { StateStore } from './records.js';
export type { CorruptRecord, NewPluginProcessRecord, PluginProcessRecord, RecordList } from './records.js';
export { reapLeftovers } from './reap.js';
export type { KilledLeftover, NotKilled, ReapLog, ReapOptions, ReapSummary } from './reap.js';
