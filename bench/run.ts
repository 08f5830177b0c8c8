// `npm run bench`: start-up, call and stop speed of plugins under go-plugin's
// Go host and under our TypeScript host, each figure beside a reference
// measured in the same run. See docs/benchmarks.md.
//
// The machines are shared and noisy, so nothing is measured in one block and
// compared with another measured later: every round runs each series once, in
// an order where each series alternates with its reference (ABAB…), and the
// figures are medians over all rounds. Targets are reported, never asserted:
// the exit status is 0 unless a measurement itself failed.
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGoInterop } from '../test/interop/go-build.js';
import type { GoBuild } from '../test/interop/go-build.js';
import { cpuModel, goVersion, loadAverage, nproc } from './machine.js';
import { emptyGoHostSamples, runGoHostInto } from './measure-go-host.js';
import type { GoHostSamples } from './measure-go-host.js';
import { emptyDaemonSamples, measureRestarts, measureTwenty } from './measure-daemon.js';
import type { DaemonSamples } from './measure-daemon.js';
import { timeNodeNoops } from './measure-process.js';
import { emptyTsHostSamples, runTsHostCycleInto, runTsHostCyclesInto } from './measure-ts-host.js';
import type { TsHostSamples } from './measure-ts-host.js';
import { erroredRow, measuredRow, skippedRow } from './rows.js';
import type { Group, Reference, Row, RowSpec } from './rows.js';
import { summarize } from './stats.js';
import type { Summary } from './stats.js';
import { formatDuration, renderReport } from './table.js';
import type { MachineInfo } from './table.js';

/** dist/js/bench/run.js → the repository root. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const LOCAL_PLUGIN = join(ROOT, 'dist/plugins/local');
const AWS_PLUGIN = join(ROOT, 'dist/plugins/aws');

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? NaN : Number.parseInt(raw, 10);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

const CONFIG = {
  /** Rounds; every series runs once per round. */
  rounds: envInt('SNOOZEBOT_BENCH_ROUNDS', 5),
  /** Plugin cycles per series per round (gohost -repeat). */
  cycles: envInt('SNOOZEBOT_BENCH_CYCLES', 8),
  /** `node -e 0` runs in each of the two reference slots of a round. */
  nodeRuns: 6,
  /** GetAPIVersion calls per cycle, and how many of them are warm-up, left out. */
  rpcs: 2_200,
  warmupRpcs: 200,
} as const;

const NS_PER_MS = 1_000_000;
const NS_PER_US = 1_000;

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Samples of one kind of measurement, collected over the rounds. A series that
 * cannot run (no Go) is skipped; one that fails once stops and keeps its error.
 */
class Series<T> {
  error: string | undefined;
  constructor(
    readonly name: string,
    readonly samples: T,
    readonly skipped?: string,
  ) {}

  get usable(): boolean {
    return this.skipped === undefined && this.error === undefined;
  }

  async step(what: (samples: T) => Promise<void>): Promise<void> {
    if (!this.usable) return;
    try {
      await what(this.samples);
    } catch (error) {
      this.error = errorMessage(error);
      log(`${this.name} failed: ${this.error}`);
    }
  }
}

type Sampler<T> = (samples: T) => readonly number[];

function summaryOf<T>(series: Series<T>, pick: Sampler<T>): Summary | undefined {
  const samples = pick(series.samples);
  return samples.length > 0 ? summarize(samples) : undefined;
}

function row<T, R>(
  spec: RowSpec,
  series: Series<T>,
  pick: Sampler<T>,
  reference?: { label: string; series: Series<R>; pick: Sampler<R> },
): Row {
  if (series.skipped !== undefined) return skippedRow(spec, series.skipped);
  if (series.error !== undefined) return erroredRow(spec, `${series.name}: ${series.error}`);
  const summary = summaryOf(series, pick);
  if (summary === undefined) return erroredRow(spec, `${series.name}: no samples`);
  let ref: Reference | undefined;
  if (reference !== undefined && reference.series.usable) {
    const refSummary = summaryOf(reference.series, reference.pick);
    if (refSummary !== undefined) ref = { label: reference.label, summary: refSummary };
  }
  if (ref === undefined && spec.target.kind === 'ratio') {
    const why = reference?.series.skipped ?? reference?.series.error ?? 'no samples';
    return erroredRow(spec, `reference ${reference?.label ?? '?'} unavailable: ${why}`);
  }
  return measuredRow(spec, summary, ref);
}

async function main(): Promise<void> {
  const began = performance.now();
  // The local plugin would really run this on StopInstance; gohost calls it. Dry run only.
  delete process.env.SNOOZEBOT_LOCAL_STOP_COMMAND;

  const loadBefore = loadAverage();
  const [cores, go] = await Promise.all([nproc(), goVersion()]);
  log(`nproc ${cores}, node ${process.version}, ${go}; ${CONFIG.rounds} rounds × ${CONFIG.cycles} cycles`);

  let build: GoBuild;
  try {
    log('building the Go interop binaries (cached after the first time)…');
    build = await buildGoInterop();
  } catch (error) {
    build = { ok: false, reason: `Go interop build failed: ${errorMessage(error)}` };
  }
  const noGo = build.ok ? undefined : build.reason;
  if (noGo !== undefined) log(`Go rows skipped: ${noGo}`);
  const goBin = build.ok ? build : { host: '', plugin: '' };

  const nodeNoop = new Series<number[]>('node -e 0', []);
  const goLocal = new Series<GoHostSamples>('Go host → local', emptyGoHostSamples(), noGo);
  const goLocalMtls = new Series<GoHostSamples>('Go host → local (AutoMTLS)', emptyGoHostSamples(), noGo);
  const goGo = new Series<GoHostSamples>('Go host → Go plugin', emptyGoHostSamples(), noGo);
  const tsGo = new Series<TsHostSamples>('TS host → Go plugin', emptyTsHostSamples(), noGo);
  const tsLocal = new Series<TsHostSamples>('TS host → local', emptyTsHostSamples());
  const tsAws = new Series<TsHostSamples>('TS host → aws', emptyTsHostSamples());

  const cycle = { warmupRpcs: CONFIG.warmupRpcs, timedRpcs: CONFIG.rpcs - CONFIG.warmupRpcs };
  const gohostRun = { repeat: CONFIG.cycles, rpcs: CONFIG.rpcs, skipRpcs: CONFIG.warmupRpcs };

  // Warm-up, not counted: the local plugin writes its V8 code cache on its
  // first start, the page cache gets the binaries, and this process loads and
  // JIT-compiles the host code.
  log('warm-up…');
  const warmLocal = emptyGoHostSamples();
  await goLocal.step(() => runGoHostInto(warmLocal, goBin.host, LOCAL_PLUGIN, { repeat: 1, rpcs: 0 }));
  await goGo.step(() => runGoHostInto(emptyGoHostSamples(), goBin.host, goBin.plugin, { repeat: 1, rpcs: 0 }));
  await nodeNoop.step(() => timeNodeNoops(2).then(() => undefined));
  await tsLocal.step(() => runTsHostCycleInto(emptyTsHostSamples(), LOCAL_PLUGIN, { warmupRpcs: 500, timedRpcs: 0 }));
  await tsAws.step(() => runTsHostCycleInto(emptyTsHostSamples(), AWS_PLUGIN, { warmupRpcs: 500, timedRpcs: 0 }));
  await tsGo.step(() => runTsHostCycleInto(emptyTsHostSamples(), goBin.plugin, { warmupRpcs: 500, timedRpcs: 0 }));
  const warmupStart = warmLocal.startToFirstRpc[0];

  // Each series alternates with its reference:
  //   node ⇄ Go host → local (plain, then AutoMTLS)       (b, c)
  //   TS host → Go plugin ⇄ Go host → Go plugin           (f, g, i)
  //   Go host → local ⇄ TS host → local                   (h, i)
  for (let round = 1; round <= CONFIG.rounds; round++) {
    log(`round ${round}/${CONFIG.rounds}`);
    await nodeNoop.step(async (s) => void s.push(...(await timeNodeNoops(CONFIG.nodeRuns))));
    await goLocal.step((s) => runGoHostInto(s, goBin.host, LOCAL_PLUGIN, gohostRun));
    await tsGo.step((s) => runTsHostCyclesInto(s, goBin.plugin, CONFIG.cycles, cycle));
    await nodeNoop.step(async (s) => void s.push(...(await timeNodeNoops(CONFIG.nodeRuns))));
    await goLocalMtls.step((s) =>
      runGoHostInto(s, goBin.host, LOCAL_PLUGIN, { mtls: true, repeat: CONFIG.cycles, rpcs: 0 }),
    );
    await goGo.step((s) => runGoHostInto(s, goBin.host, goBin.plugin, gohostRun));
    await tsLocal.step((s) => runTsHostCyclesInto(s, LOCAL_PLUGIN, CONFIG.cycles, cycle));
    // Start only: GetAPIVersion needs no AWS endpoint, so no EC2 or IMDS is involved.
    await tsAws.step((s) => runTsHostCyclesInto(s, AWS_PLUGIN, CONFIG.cycles, { warmupRpcs: 0, timedRpcs: 0 }));
  }

  // Issue 4: the daemon, measured after the rest (it starts 20 plugins at once).
  const cli = join(ROOT, 'bin/snoozebot');
  const daemonGo = new Series<DaemonSamples>('daemon, Go plugin', emptyDaemonSamples(), noGo);
  const daemonLocal = new Series<DaemonSamples>('daemon, 20 local plugins', emptyDaemonSamples());
  log('daemon: kill -9 → serving again (Go plugin)…');
  await daemonGo.step((s) => measureRestarts(s, ROOT, cli, goBin.plugin, 30));
  log('daemon: 20 local plugins, RSS and API latency…');
  await daemonLocal.step((s) => measureTwenty(s, ROOT, cli, LOCAL_PLUGIN, 500));

  const loadAfter = loadAverage();
  const elapsedS = (performance.now() - began) / 1000;

  const nodeRef = { label: 'a. node -e 0', series: nodeNoop, pick: (s: number[]) => s };
  const goGoStart = { label: 'Go host → Go plugin', series: goGo, pick: (s: GoHostSamples) => s.startToFirstRpc };
  const goGoRpc = { label: 'Go host → Go plugin', series: goGo, pick: (s: GoHostSamples) => s.rpc };
  const goGoKill = { label: 'Go host → Go plugin Kill()', series: goGo, pick: (s: GoHostSamples) => s.kill };
  const goLocalStart = { label: 'Go host → local', series: goLocal, pick: (s: GoHostSamples) => s.startToFirstRpc };
  const goLocalRpc = { label: 'Go host → local', series: goLocal, pick: (s: GoHostSamples) => s.rpc };
  const goLocalKill = { label: 'Go host → local Kill()', series: goLocal, pick: (s: GoHostSamples) => s.kill };

  /** "; plugin exits: 37× code 0, 3× SIGTERM", or nothing when every exit was a clean code 0. */
  const exits = (tally: Record<string, number>, when: string) => {
    const kinds = Object.entries(tally).sort((x, y) => y[1] - x[1]);
    if (kinds.length === 0 || (kinds.length === 1 && kinds[0]?.[0] === 'code 0')) return '';
    return `; plugin exits ${when}: ${kinds.map(([how, n]) => `${n}× ${how}`).join(', ')} (not all a clean exit 0)`;
  };
  const interleave = `${CONFIG.rounds} rounds × ${CONFIG.cycles} cycles, interleaved with the reference`;
  const stopNote = 'stop() asks GRPCController.Shutdown first and signals only if that fails; target is absolute';
  const rpcNote = `GetAPIVersion calls ${CONFIG.warmupRpcs + 1}–${CONFIG.rpcs} of each cycle (first ${CONFIG.warmupRpcs} left out), pooled`;

  const groups: Group[] = [
    {
      title: 'Issue 2: go-plugin Go host → dist/plugins/local',
      rows: [
        row(
          { id: 'a', label: 'node -e 0 (spawn → exit)', target: { kind: 'reference' }, note: `${CONFIG.nodeRuns} runs before each Go host run` },
          nodeNoop,
          (s) => s,
        ),
        row(
          {
            id: 'b',
            label: 'Go host → local: start → first RPC',
            target: { kind: 'ratio', max: 1.6 },
            note:
              `steady state: code cache warm (one warm-up gohost cycle first` +
              (warmupStart !== undefined ? `, which took ${formatDuration(warmupStart)}` : '') +
              `); ${interleave}`,
          },
          goLocal,
          (s) => s.startToFirstRpc,
          nodeRef,
        ),
        row(
          {
            id: 'c',
            label: 'Go host → local, AutoMTLS: start → first RPC',
            target: { kind: 'info' },
            note: `steady state: code cache warm; ${interleave}` + exits(goLocalMtls.samples.exits, 'after Kill()'),
          },
          goLocalMtls,
          (s) => s.startToFirstRpc,
          nodeRef,
        ),
        row(
          {
            id: 'd',
            label: 'Go host → local: Kill()',
            target: { kind: 'absolute', maxNs: 50 * NS_PER_MS },
            note:
              'target is absolute; the reference is for context' +
              exits(goLocal.samples.exits, 'after Kill()') +
              exits(goGo.samples.exits, 'after Kill() in the reference'),
          },
          goLocal,
          (s) => s.kill,
          goGoKill,
        ),
        row(
          {
            id: 'e',
            label: 'Go host → local: GetAPIVersion p50',
            target: { kind: 'absolute', maxNs: 250 * NS_PER_US },
            note: `${rpcNote}; target is absolute`,
          },
          goLocal,
          (s) => s.rpc,
          goGoRpc,
        ),
      ],
    },
    {
      title: 'Issue 3: our TypeScript host (src/host)',
      rows: [
        row(
          {
            id: 'f',
            label: 'TS host → Go plugin: start → first RPC',
            target: { kind: 'ratio', max: 1.5 },
            note: `start() + apiVersion(), after one warm-up start; ${interleave}`,
          },
          tsGo,
          (s) => s.startToFirstRpc,
          goGoStart,
        ),
        row(
          { id: 'g', label: 'TS host → Go plugin: apiVersion p50', target: { kind: 'ratio', max: 1.5 }, note: rpcNote },
          tsGo,
          (s) => s.rpc,
          goGoRpc,
        ),
        row(
          {
            id: 'h1',
            label: 'TS host → local: start → first RPC',
            target: { kind: 'info' },
            note: `steady state: code cache warm; ${interleave}`,
          },
          tsLocal,
          (s) => s.startToFirstRpc,
          goLocalStart,
        ),
        row({ id: 'h2', label: 'TS host → local: apiVersion p50', target: { kind: 'info' }, note: rpcNote }, tsLocal, (s) => s.rpc, goLocalRpc),
        row(
          {
            id: 'i1',
            label: 'TS host stop(), local plugin',
            target: { kind: 'absolute', maxNs: 20 * NS_PER_MS },
            note: `${stopNote}` + exits(tsLocal.samples.exits, 'after stop()'),
          },
          tsLocal,
          (s) => s.stop,
          goLocalKill,
        ),
        row(
          {
            id: 'i2',
            label: 'TS host stop(), Go plugin',
            target: { kind: 'absolute', maxNs: 20 * NS_PER_MS },
            note: `${stopNote}` + exits(tsGo.samples.exits, 'after stop()'),
          },
          tsGo,
          (s) => s.stop,
          goGoKill,
        ),
      ],
    },
    {
      title: 'Issue 4: the daemon (a real `snoozebot daemon` process)',
      rows: [
        row(
          {
            id: 'j',
            label: 'kill -9 of a serving Go plugin → serving again',
            target: { kind: 'absolute', maxNs: 50 * NS_PER_MS },
            note: '30 kills; from kill() to the daemon logging "serving" (ms log timestamps); reference: Go host start → first RPC of the same plugin',
          },
          daemonGo,
          (s) => s.restart,
          goGoStart,
        ),
        row(
          {
            id: 'k',
            label: 'daemon RSS with 20 local plugins serving',
            target: { kind: 'bytes', maxBytes: 120 * 1024 * 1024 },
            note: 'VmRSS of the daemon process alone, sampled every 50 API requests',
          },
          daemonLocal,
          (s) => s.rss20,
        ),
        row(
          {
            id: 'l',
            label: 'plugins list through the socket (GET /v1/plugins)',
            target: { kind: 'absolute', maxNs: 5 * NS_PER_MS },
            note: '500 requests, 20 plugins, a new connection each; reference: GET /healthz on the same socket',
          },
          daemonLocal,
          (s) => s.list,
          { label: 'GET /healthz', series: daemonLocal, pick: (s: DaemonSamples) => s.healthz },
        ),
      ],
    },
    {
      title: 'Issue 5: the AWS plugin',
      rows: [
        row(
          {
            id: 'm',
            label: 'TS host → aws: start → first RPC',
            target: { kind: 'ratio', max: 1.5 },
            note: `steady state: code cache warm; right after the TS host → local cycles of each round; ${interleave}`,
          },
          tsAws,
          (s) => s.startToFirstRpc,
          { label: 'TS host → local', series: tsLocal, pick: (s: TsHostSamples) => s.startToFirstRpc },
        ),
      ],
    },
  ];

  const machine: MachineInfo = {
    date: new Date().toISOString(),
    nproc: cores,
    node: process.version,
    go,
    cpu: cpuModel(),
    loadBefore,
    loadAfter,
  };
  const footer = [
    ...(noGo !== undefined ? [`Go rows skipped: ${noGo}`, ''] : []),
    ...[nodeNoop, goLocal, goLocalMtls, goGo, tsGo, tsLocal, tsAws, daemonGo, daemonLocal]
      .filter((s) => s.error !== undefined)
      .flatMap((s) => [`${s.name} failed: ${s.error ?? ''}`, '']),
    `Measured in ${elapsedS.toFixed(0)} s (build not included). Targets are reported, not enforced.`,
  ];
  const report = renderReport(machine, groups, footer);
  process.stdout.write(report);

  const json = {
    machine,
    config: CONFIG,
    elapsedSeconds: Math.round(elapsedS * 10) / 10,
    unit: 'ns',
    groups: groups.map((g) => ({
      title: g.title,
      rows: g.rows.map((r) => ({
        id: r.id,
        label: r.label,
        median: r.summary?.median ?? null,
        p99: r.summary?.p99 ?? null,
        min: r.summary?.min ?? null,
        max: r.summary?.max ?? null,
        n: r.summary?.n ?? 0,
        reference: r.reference
          ? { label: r.reference.label, median: r.reference.summary.median, p99: r.reference.summary.p99, n: r.reference.summary.n }
          : null,
        ratio: r.ratio ?? null,
        target: r.target,
        result: r.result,
        note: r.note ?? null,
        problem: r.problem ?? null,
      })),
    })),
  };
  await writeFile(join(ROOT, 'bench/results.json'), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(join(ROOT, 'bench/results.md'), report);
  log('wrote bench/results.json and bench/results.md');

  const failed = [nodeNoop, goLocal, goLocalMtls, goGo, tsGo, tsLocal, tsAws, daemonGo, daemonLocal].filter((s) => s.error !== undefined);
  if (failed.length > 0) {
    log(`measurement errors in: ${failed.map((s) => s.name).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
