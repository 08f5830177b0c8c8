// The state directory: records of the plugin processes the daemon started,
// and the cleanup of leftovers after a daemon that died without stopping them.
export { DEFAULT_PROC_ROOT, ProcStatError, isLive, listProcesses, liveGroupMembers, parseProcStat, readProcStat } from './proc-stat.js';
export type { ProcStat } from './proc-stat.js';
export { StateDirError, StateStore, stateDirProblem } from './records.js';
export type { CorruptRecord, NewPluginProcessRecord, PluginProcessRecord, RecordList, SkippedEntry } from './records.js';
export { judgeRecord } from './reap-evidence.js';
export type { ReapDecision, ReapSelf } from './reap-evidence.js';
export { reapLeftovers } from './reap.js';
export type { KilledLeftover, NotKilled, ReapLog, ReapOptions, ReapSummary } from './reap.js';
