// The state directory: records of running plugin processes, and the cleanup
// of leftovers after a daemon that died without stopping them.
export { parseProcStat, readProcStat } from './proc-stat.js';
export type { ProcStat } from './proc-stat.js';
export { StateStore } from './records.js';
export type { ProcessRecord } from './records.js';
export { reapLeftovers } from './reap.js';
export type { ReapOptions, ReapSummary } from './reap.js';
