// Issue 16's rows, on every Node.js measured (this one and Node 24 from npm,
// bench/node-runtime.ts): the CLI's start-up time and peak RSS beside
// `node -e 0`, the daemon's RSS beside the reference process, and idle CPU.
// Each runtime's rows are compared with references measured on that same
// runtime in the same run. Run from bench/run.ts, which adds the groups.
import { emptyCliSamples, measureCliRound, peakRssUnavailable } from './measure-cli.js';
import type { CliSamples } from './measure-cli.js';
import { emptyFootprintSamples, emptyIdleCpuSamples, measureFootprintRound, measureIdleCpu, warmDaemonCodeCache } from './measure-footprint.js';
import type { FootprintSamples, IdleCpuSamples } from './measure-footprint.js';
import { startDaemon } from './daemon-process.js';
import { currentRuntime, node24 } from './node-runtime.js';
import type { NodeRuntime } from './node-runtime.js';
import { erroredRow, measuredRow, skippedRow } from './rows.js';
import type { Group, Reference, Row, RowSpec } from './rows.js';
import { summarize } from './stats.js';

/** The rows of one runtime: `t1@20` … `t8@20`; `--only t1` selects t1 on every runtime. */
export const FOOTPRINT_ROWS = ['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8'] as const;

export function footprintRowIds(): string[] {
  const majors = [process.versions.node.split('.')[0] ?? '?', '24'];
  return [...FOOTPRINT_ROWS, ...[...new Set(majors)].flatMap((major) => FOOTPRINT_ROWS.map((id) => `${id}@${major}`))];
}

function envInt(name: string, fallback: number): number {
  const value = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

export interface FootprintOptions {
  readonly root: string;
  readonly cli: string;
  readonly localPlugin: string;
  readonly rounds: number;
  /** Row ids chosen with --only, or undefined for all. */
  readonly only: ReadonlySet<string> | undefined;
  readonly log: (message: string) => void;
}

interface RuntimeResult {
  readonly runtime: NodeRuntime | undefined;
  readonly major: string;
  /** Why this runtime was not measured. */
  readonly unavailable?: string;
  readonly cli: CliSamples;
  readonly memory: FootprintSamples;
  readonly idle: IdleCpuSamples;
  readonly errors: Map<'cli' | 'memory' | 'idle', string>;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function measureFootprint(options: FootprintOptions): Promise<Group[]> {
  const { only, log } = options;
  const wanted = (id: string, major: string) => only === undefined || only.has(id) || only.has(`${id}@${major}`);
  const wants = (ids: readonly string[], major: string) => ids.some((id) => wanted(id, major));
  const current = currentRuntime();
  const results: RuntimeResult[] = [];
  const fresh = (runtime: NodeRuntime | undefined, major: string, unavailable?: string): RuntimeResult => ({
    runtime,
    major,
    ...(unavailable !== undefined ? { unavailable } : {}),
    cli: emptyCliSamples(),
    memory: emptyFootprintSamples(),
    idle: emptyIdleCpuSamples(),
    errors: new Map(),
  });
  const currentMajor = process.versions.node.split('.')[0] ?? '?';
  if (wants(FOOTPRINT_ROWS, currentMajor)) results.push(fresh(current, currentMajor));
  let dispose = async () => {};
  if (currentMajor !== '24' && wants(FOOTPRINT_ROWS, '24')) {
    try {
      log('installing node@24 from npm into a temporary prefix…');
      const got = await node24();
      dispose = got.dispose;
      results.push(fresh(got.runtime, '24'));
    } catch (error) {
      results.push(fresh(undefined, '24', message(error)));
    }
  }
  const noRss = await peakRssUnavailable();
  try {
    for (const r of results) {
      if (r.runtime === undefined) continue;
      const runtime = r.runtime;
      if (wants(['t1', 't2', 't3', 't4'], r.major)) {
        log(`CLI on Node ${runtime.version}: --help, plugins list, node -e 0…`);
        try {
          const daemon = await startDaemon(options.root, options.cli, [{ name: 'local', binary: options.localPlugin }], undefined, 60_000, runtime);
          try {
            const round = { cli: options.cli, socket: daemon.socket, runs: 6, rss: noRss === undefined };
            // Warm-up, not counted: the CLI writes its code cache for this Node on its first run.
            await measureCliRound(emptyCliSamples(), runtime, { ...round, runs: 2, rss: false });
            for (let i = 0; i < options.rounds; i++) await measureCliRound(r.cli, runtime, round);
          } finally {
            await daemon.stop();
          }
        } catch (error) {
          r.errors.set('cli', message(error));
        }
      }
      if (wants(['t5', 't6'], r.major)) {
        log(`daemon RSS on Node ${runtime.version}: reference, no plugin, local plugin…`);
        try {
          await warmDaemonCodeCache(options.root, options.cli, options.localPlugin, runtime);
          for (let i = 0; i < Math.min(3, options.rounds); i++) {
            await measureFootprintRound(r.memory, options.root, options.cli, options.localPlugin, runtime, 500);
          }
        } catch (error) {
          r.errors.set('memory', message(error));
        }
      }
    }
    const idle = results.filter((r) => r.runtime !== undefined && wants(['t7', 't8'], r.major));
    if (idle.length > 0) {
      const totalMs = envInt('SNOOZEBOT_BENCH_IDLE_SECONDS', 600) * 1000;
      const timing = { settleMs: Math.min(30_000, totalMs / 4), intervalMs: Math.min(60_000, totalMs / 10), totalMs };
      log(`idle CPU over ${totalMs / 60_000} min on ${idle.map((r) => `Node ${r.runtime?.version ?? '?'}`).join(' and ')} at once…`);
      try {
        await measureIdleCpu(
          idle.map((r) => ({ runtime: r.runtime as NodeRuntime, into: r.idle })),
          options.root,
          options.cli,
          options.localPlugin,
          timing,
        );
      } catch (error) {
        for (const r of idle) r.errors.set('idle', message(error));
      }
    }
  } finally {
    await dispose();
  }
  return results.map((r) => groupOf(r, noRss, wanted));
}

function groupOf(r: RuntimeResult, noRss: string | undefined, wanted: (id: string, major: string) => boolean): Group {
  const version = r.runtime?.version ?? `Node ${r.major}`;
  const ref = (label: string, samples: readonly number[]): Reference | undefined =>
    samples.length > 0 ? { label, summary: summarize(samples) } : undefined;
  const make = (spec: RowSpec, what: 'cli' | 'memory' | 'idle', samples: readonly number[], reference?: Reference, skip?: string): Row => {
    if (r.unavailable !== undefined) return skippedRow(spec, r.unavailable);
    if (skip !== undefined) return skippedRow(spec, skip);
    const error = r.errors.get(what);
    if (error !== undefined) return erroredRow(spec, error);
    if (samples.length === 0) return erroredRow(spec, 'no samples');
    if (reference === undefined && spec.target.kind !== 'info' && spec.target.kind !== 'share') return erroredRow(spec, 'no reference samples');
    return measuredRow(spec, summarize(samples), reference);
  };
  const id = (base: string) => `${base}@${r.major}`;
  const noop = ref('node -e 0', r.cli.noop);
  const noopRss = ref('node -e 0', r.cli.noopRss);
  const reference = ref('node + grpc-js + pino + HTTP server', r.memory.reference);
  const timer = ref('node with one 5 s timer', r.idle.reference);
  const cliNote = 'spawn → exit, stdout ignored; 6 runs a round, alternating with node -e 0 on the same Node, after 2 warm-up runs (the code cache is written on the first)';
  const rssNote = `peak RSS (GNU time's %M: the kernel's high-water mark from rusage), one run a round`;
  const memNote =
    'VmRSS of the daemon process alone, sampled every 50 of 500 API requests (GET /v1/plugins, /healthz); reference: ' +
    'bench/reference-daemon.ts under the same requests, loaded from node_modules: the floor any daemon of this design pays';
  const idleNote = (who: string) =>
    `${who}: utime + stime from /proc/PID/stat (every thread) over each interval of an idle run (idle detection and health checks at their defaults, dry run), ` +
    `${r.idle.daemon.length} intervals; reference: a bare node process with one 5 s timer`;
  const rows: Row[] = [
    make({ id: id('t1'), label: '`snoozebot --help`', target: { kind: 'ratio', max: 1.5 }, note: cliNote }, 'cli', r.cli.help, noop),
    make(
      { id: id('t2'), label: '`snoozebot plugins list` (daemon with 1 plugin)', target: { kind: 'ratio', max: 1.5 }, note: cliNote },
      'cli',
      r.cli.list,
      noop,
    ),
    make({ id: id('t3'), label: '`snoozebot --help`: peak RSS', target: { kind: 'ratio', max: 1.3 }, unit: 'bytes', note: rssNote }, 'cli', r.cli.helpRss, noopRss, noRss),
    make(
      { id: id('t4'), label: '`snoozebot plugins list`: peak RSS', target: { kind: 'ratio', max: 1.3 }, unit: 'bytes', note: rssNote },
      'cli',
      r.cli.listRss,
      noopRss,
      noRss,
    ),
    make({ id: id('t5'), label: 'daemon RSS, local plugin serving', target: { kind: 'ratio', max: 1.2 }, unit: 'bytes', note: memNote }, 'memory', r.memory.withPlugin, reference),
    make({ id: id('t6'), label: 'daemon RSS, no plugin', target: { kind: 'ratio', max: 1.2 }, unit: 'bytes', note: memNote }, 'memory', r.memory.noPlugin, reference),
    make({ id: id('t7'), label: 'daemon idle CPU, 1 plugin', target: { kind: 'share', max: 0.002 }, note: idleNote('the daemon') }, 'idle', r.idle.daemon, timer),
    make({ id: id('t8'), label: 'plugin idle CPU (local, under the daemon)', target: { kind: 'info' }, unit: 'share', note: idleNote('the plugin') }, 'idle', r.idle.plugin, timer),
  ];
  return {
    title: `Issue 16: footprint on Node ${version}`,
    rows: rows.filter((row) => wanted(row.id.split('@')[0] ?? row.id, r.major)),
  };
}
