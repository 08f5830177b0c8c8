// What a soak found, as data (the test asserts on it) and as text (the script
// prints it, the test prints it too).
import type { FaultAccount } from './accounting.js';
import { FAULT_DESCRIPTIONS, FAULT_KINDS } from './fault.js';
import type { FaultKind, FaultOutcome } from './fault.js';
import type { LatencySummary } from './latency.js';
import type { LoadError, LoadKind } from './api-load.js';
import type { SoakOptions } from './options.js';
import type { SoakPlugin } from './run-dir.js';
import type { WriteCounts } from './writers.js';

export interface FdCounts {
  readonly total: number;
  readonly sockets: number;
  readonly pipes: number;
}

export interface FinalPlugin {
  readonly name: string;
  readonly kind: string;
  readonly state: string;
  readonly reason: string;
  readonly lastError: string | null;
  readonly restarts: number;
  /** Serving, or failed with the crash count as reason and a last error. */
  readonly ok: boolean;
}

export interface SoakReport {
  readonly seed: number;
  readonly options: SoakOptions;
  readonly plugins: readonly SoakPlugin[];
  /** Why the Go plugins are missing, when they are. */
  readonly goSkipped: string | undefined;
  /** Why the escape faults were left out (no cgroup containment), if they were. */
  readonly cgroupsSkipped: string | undefined;
  readonly root: string;
  readonly durationMs: number;
  readonly faultPhaseMs: number;
  readonly deadlineHit: boolean;
  readonly accounts: readonly FaultAccount[];
  readonly writes: WriteCounts & { readonly stopCommands: number; readonly reloadsApplied: number };
  readonly invariants: { readonly looks: number; readonly violations: readonly string[] };
  readonly api: {
    readonly byKind: ReadonlyArray<readonly [LoadKind, LatencySummary]>;
    /** The raw API endpoints together (the CLI rows are separate: each is a node process start). */
    readonly apiTotal: LatencySummary;
    readonly cliTotal: LatencySummary;
    readonly errorCount: number;
    readonly errors: readonly LoadError[];
  };
  readonly fds: {
    readonly start: FdCounts;
    readonly end: FdCounts;
    readonly max: number;
    readonly slack: number;
    /** Kinds of descriptors the end has beyond the start (negative: fewer). */
    readonly diff: Readonly<Record<string, number>>;
  };
  readonly finalPlugins: readonly FinalPlugin[];
  readonly leftovers: {
    /** Processes of the run alive at the end besides the daemon and its live plugins. */
    readonly whileRunning: readonly string[];
    /** Stopped (state T) processes of the run at any check. */
    readonly stopped: readonly string[];
    /** Entries in the daemon's TMPDIR no live plugin accounts for. */
    readonly tmpWhileRunning: readonly string[];
    /** Anything of the run still alive after the daemon stopped. */
    readonly afterStop: readonly string[];
    /** Anything left in the daemon's TMPDIR after it stopped. */
    readonly tmpAfterStop: readonly string[];
    readonly processesTracked: number;
  };
  readonly daemon: {
    readonly pid: number;
    readonly aliveAtEnd: boolean;
    readonly exit: { readonly code: number | null; readonly signal: string | null } | undefined;
    readonly ownErrors: readonly string[];
    readonly strayStdout: readonly string[];
    readonly stderr: string;
    readonly logLines: number;
    readonly logBytes: number;
  };
  /** Everything that makes the soak fail; empty: it passed. */
  readonly problems: readonly string[];
}

const ms = (n: number) => (n >= 100 ? `${Math.round(n)} ms` : `${n.toFixed(1)} ms`);
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const list = (items: readonly string[]) => (items.length === 0 ? 'none' : items.length > 8 ? `${items.slice(0, 8).join(', ')} and ${items.length - 8} more` : items.join(', '));
const padLeft = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

export function faultsByKind(accounts: readonly FaultAccount[]): Map<FaultKind, { count: number; accounted: number; outcomes: Map<FaultOutcome, number> }> {
  const out = new Map<FaultKind, { count: number; accounted: number; outcomes: Map<FaultOutcome, number> }>();
  for (const kind of FAULT_KINDS) out.set(kind, { count: 0, accounted: 0, outcomes: new Map() });
  for (const a of accounts) {
    const row = out.get(a.fault.kind);
    if (row === undefined) continue;
    row.count += 1;
    if (a.missing.length === 0) row.accounted += 1;
    row.outcomes.set(a.fault.outcome, (row.outcomes.get(a.fault.outcome) ?? 0) + 1);
  }
  return out;
}

export function formatReport(r: SoakReport): string {
  const out: string[] = [];
  const o = r.options;
  const verdict = r.problems.length === 0 ? 'PASS' : `FAIL (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'})`;
  out.push(`== snoozebot soak: ${verdict} ==`);
  out.push(`seed ${r.seed} (replay: --seed ${r.seed} --faults ${o.faults} --plugins ${o.plugins})`);
  const kinds = new Map<string, number>();
  for (const p of r.plugins) kinds.set(p.kind, (kinds.get(p.kind) ?? 0) + 1);
  out.push(
    `plugins ${r.plugins.length}: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}` + (r.goSkipped ? ` (Go left out: ${r.goSkipped})` : '') +
      (r.cgroupsSkipped ? ` (escape faults left out: ${r.cgroupsSkipped})` : ''),
  );
  out.push(`duration ${(r.durationMs / 1000).toFixed(1)} s (faults ${(r.faultPhaseMs / 1000).toFixed(1)} s, ${o.concurrency} at a time)${r.deadlineHit ? '; DEADLINE HIT' : ''}`);
  out.push(`daemon pid ${r.daemon.pid}: ${r.daemon.aliveAtEnd ? 'alive at the end' : 'NOT ALIVE at the end'}; exit on SIGTERM ${JSON.stringify(r.daemon.exit)}; ${r.daemon.logLines} log lines, ${(r.daemon.logBytes / 1e6).toFixed(1)} MB`);

  out.push('');
  const accounted = r.accounts.filter((a) => a.missing.length === 0).length;
  out.push(`faults: ${r.accounts.length} injected, ${accounted} accounted for in the daemon's log`);
  out.push(`  ${pad('kind', 18)} ${padLeft('n', 5)} ${padLeft('acc', 5)}  outcomes`);
  for (const [kind, row] of faultsByKind(r.accounts)) {
    const outcomes = [...row.outcomes].map(([k, n]) => `${k} ${n}`).join(', ');
    out.push(`  ${pad(kind, 18)} ${padLeft(String(row.count), 5)} ${padLeft(String(row.accounted), 5)}  ${outcomes}`);
  }
  const notes = r.accounts.flatMap((a) => a.fault.notes.map((n) => `#${a.fault.id} ${a.fault.kind} ${a.fault.plugin}: ${n}`));
  if (notes.length > 0) {
    out.push(`  notes (${notes.length}):`);
    for (const n of notes.slice(0, 20)) out.push(`    ${n}`);
  }

  out.push('');
  const w = r.writes;
  out.push(`writers: ${w.mutating} mutating calls, ${w.errorCount} with an undocumented answer; ${w.reloads} SIGHUPs sent, ${w.reloadsApplied} reloads applied`);
  out.push(`  calls:   ${Object.entries(w.calls).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  out.push(`  answers: ${Object.entries(w.answers).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} × ${n}`).join(', ')}`);
  out.push(
    `  instance stop: ${w.stops.accepted} accepted, ${w.stops.unknown} unknown (sent, no answer), ${w.stops.notSent} not sent; ` +
      `stop command run ${w.stopCommands} times (must be ${w.stops.accepted}${w.stops.unknown > 0 ? ` to ${w.stops.accepted + w.stops.unknown}` : ''})`,
  );
  for (const e of w.errors.slice(0, 10)) out.push(`  error: ${e}`);
  out.push(`lifecycle invariants: ${r.invariants.looks} looks at /proc and the API, ${r.invariants.violations.length} violations`);
  for (const v of r.invariants.violations.slice(0, 10)) out.push(`  ${v}`);

  out.push('');
  out.push(`API/CLI during the soak: ${r.api.apiTotal.count + r.api.cliTotal.count} calls, ${r.api.errorCount} errors`);
  out.push(`  ${pad('call', 26)} ${padLeft('n', 6)} ${padLeft('err', 4)} ${padLeft('p50', 9)} ${padLeft('p99', 9)} ${padLeft('max', 9)}`);
  const row = (name: string, s: LatencySummary) =>
    `  ${pad(name, 26)} ${padLeft(String(s.count), 6)} ${padLeft(String(s.errors), 4)} ${padLeft(ms(s.p50Ms), 9)} ${padLeft(ms(s.p99Ms), 9)} ${padLeft(ms(s.maxMs), 9)}`;
  for (const [kind, s] of r.api.byKind) out.push(row(kind, s));
  out.push(row('all API endpoints', r.api.apiTotal));
  out.push(row('all CLI invocations', r.api.cliTotal));
  for (const e of r.api.errors.slice(0, 10)) out.push(`  error at ${(e.at / 1000).toFixed(1)} s, ${e.kind}: ${e.detail}`);

  out.push('');
  const f = r.fds;
  out.push(
    `daemon descriptors (all ${r.plugins.length} plugins serving, no client connected): start ${f.start.total} (${f.start.sockets} sockets, ${f.start.pipes} pipes), ` +
      `end ${f.end.total} (${f.end.sockets} sockets, ${f.end.pipes} pipes), most seen during the run ${f.max}; allowed growth ${f.slack}` +
      (Object.keys(f.diff).length > 0 ? `; end − start by kind: ${JSON.stringify(f.diff)}` : ''),
  );

  out.push('');
  out.push('plugins at the end of the faults:');
  for (const p of r.finalPlugins) {
    const detail = p.state === 'serving' ? '' : `: ${p.reason}${p.lastError ? ` (last error: ${p.lastError.slice(0, 160)})` : ''}`;
    out.push(`  ${p.ok ? ' ' : '!'} ${pad(p.name, 10)} ${pad(p.kind, 6)} ${pad(p.state, 8)} restarts ${padLeft(String(p.restarts), 3)}${detail}`);
  }

  out.push('');
  const l = r.leftovers;
  out.push(`processes tracked during the run: ${l.processesTracked}`);
  out.push(`left behind while running (besides the daemon and its live plugins): ${l.whileRunning.length === 0 ? 'none' : ''}`);
  for (const x of l.whileRunning) out.push(`  ${x}`);
  out.push(`stopped (SIGSTOP) processes left: ${l.stopped.length === 0 ? 'none' : ''}`);
  for (const x of l.stopped) out.push(`  ${x}`);
  out.push(`in the daemon's TMPDIR for no live plugin: ${list(l.tmpWhileRunning)}`);
  out.push(`left behind after the daemon stopped: ${l.afterStop.length === 0 ? 'none' : ''}`);
  for (const x of l.afterStop) out.push(`  ${x}`);
  out.push(`in the daemon's TMPDIR after it stopped: ${list(l.tmpAfterStop)}`);
  if (r.daemon.ownErrors.length > 0) out.push(`daemon errors in its log: ${r.daemon.ownErrors.slice(0, 5).join(' | ')}`);
  if (r.daemon.strayStdout.length > 0) out.push(`daemon stdout lines that are not JSON: ${r.daemon.strayStdout.length}`);
  if (r.daemon.stderr.trim() !== '') out.push(`daemon stderr: ${r.daemon.stderr.trim().slice(0, 500)}`);

  if (r.problems.length > 0) {
    out.push('');
    out.push(`PROBLEMS (${r.problems.length}):`);
    for (const p of r.problems.slice(0, 60)) out.push(`  - ${p}`);
    if (r.problems.length > 60) out.push(`  … and ${r.problems.length - 60} more`);
    out.push(`run directory: ${r.root}`);
  }
  return out.join('\n');
}

/** The fault kinds with their descriptions, for --help and docs. */
export function describeFaultKinds(): string {
  return FAULT_KINDS.map((k) => `  ${pad(k, 18)} ${FAULT_DESCRIPTIONS[k]}`).join('\n');
}
