// `npm run bench`: start-up, call and stop speed of plugins under go-plugin's
// Go host and under our TypeScript host, the daemon's own figures, and 100
// plugins under one daemon, each figure beside a reference measured in the
// same run and, for start-ups, the floor: a plain fork/exec of the same
// plugin binary. See docs/benchmarks.md.
//
// `--only b,r1,s4` measures just what those rows need (their references and
// floors included), prints them, and leaves bench/results.* alone.
//
// The machines are shared and noisy, so nothing is measured in one block and
// compared with another measured later: every round runs each series once, in
// an order where each series alternates with its reference (ABAB…), and the
// figures are medians over all rounds. Targets are reported, never asserted:
// the exit status is 0 unless a measurement itself failed.
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultStartConcurrency } from '../src/daemon/supervisor/start-gate.js';
import { buildGoInterop } from '../test/interop/go-build.js';
import type { GoBuild } from '../test/interop/go-build.js';
import type { Containment } from '../src/host/containment/index.js';
import { cpuModel, goVersion, loadAverage, nproc } from './machine.js';
import { footprintRowIds, measureFootprint } from './footprint.js';
import { emptyGoHostSamples, runGoHostInto } from './measure-go-host.js';
import type { GoHostSamples } from './measure-go-host.js';
import { emptyBareDaemonSamples, emptyDaemonSamples, measureBare, measureRestarts, measureTwenty } from './measure-daemon.js';
import type { BareDaemonSamples, DaemonSamples } from './measure-daemon.js';
import { emptyParallelFloorSamples, runParallelInto, timeForkExecs } from './measure-floor.js';
import { emptyBundleSizes, measureBundleSizes, pluginPath } from './measure-clouds.js';
import type { BundleSizes } from './measure-clouds.js';
import { benchContainment, emptyContainmentSamples, runDaemonRestarts, runHostCycles, runSpawnMoves } from './measure-containment.js';
import type { ContainmentSamples } from './measure-containment.js';
import { emptyIdleSamples, IDLE_SAMPLES, measureIdleInto } from './measure-idle.js';
import { INTEROP_ROWS, interopGroup, interopMatrixLines, measureInterop } from './measure-interop.js';
import type { IdleSamples } from './measure-idle.js';
import { emptyCrowdSamples, measureCrowdInto } from './measure-idle-crowd.js';
import type { CrowdSamples } from './measure-idle-crowd.js';
import type { ParallelFloorSamples } from './measure-floor.js';
import { timeNodeNoops } from './measure-process.js';
import { emptyScaleSamples, measureScale } from './measure-scale.js';
import type { ScaleSamples, Spread } from './measure-scale.js';
import { emptyTsHostSamples, runTsHostCycleInto, runTsHostCyclesInto } from './measure-ts-host.js';
import type { TsHostSamples } from './measure-ts-host.js';
import { erroredRow, measuredRow, skippedRow, unitOf } from './rows.js';
import type { Group, Reference, Row, RowSpec } from './rows.js';
import { median, summarize } from './stats.js';
import type { Summary } from './stats.js';
import { formatBytes, formatDuration, renderReport } from './table.js';
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
  /** Rounds of the scale rows (each starts and kills every plugin of a full daemon). */
  scaleRounds: envInt('SNOOZEBOT_BENCH_SCALE_ROUNDS', 3),
  /** Plugins under the daemon of the scale rows. */
  scalePlugins: envInt('SNOOZEBOT_BENCH_SCALE_PLUGINS', 100),
  /** Of those, killed one at a time (the reference of the mass kill) in each scale round. */
  loneKills: 10,
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

/** Where a row's reference (or floor) comes from. */
interface Source<R> {
  readonly label: string;
  readonly series: Series<R>;
  readonly pick: Sampler<R>;
}

function referenceOf<R>(source: Source<R> | undefined): Reference | undefined {
  if (source === undefined || !source.series.usable) return undefined;
  const summary = summaryOf(source.series, source.pick);
  return summary === undefined ? undefined : { label: source.label, summary };
}

function row<T, R, F = number[]>(spec: RowSpec, series: Series<T>, pick: Sampler<T>, reference?: Source<R>, floor?: Source<F>): Row {
  if (series.skipped !== undefined) return skippedRow(spec, series.skipped);
  if (series.error !== undefined) return erroredRow(spec, `${series.name}: ${series.error}`);
  const summary = summaryOf(series, pick);
  if (summary === undefined) return erroredRow(spec, `${series.name}: no samples`);
  const ref = referenceOf(reference);
  if (ref === undefined && spec.target.kind === 'ratio') {
    const why = reference?.series.skipped ?? reference?.series.error ?? 'no samples';
    return erroredRow(spec, `reference ${reference?.label ?? '?'} unavailable: ${why}`);
  }
  return measuredRow(spec, summary, ref, referenceOf(floor));
}

const USAGE =
  'usage: node dist/js/bench/run.js [--only ROW[,ROW…]]\n' +
  '  --only  measure and print just these rows (e.g. b,r1,s4) and what they are compared with; bench/results.* are not written\n';

/** A bad command line: the message and the usage, exit status 2. */
class UsageError extends Error {}

/** Row ids from `--only a,b,s4`; undefined when every row is wanted. */
function parseOnly(): Set<string> | undefined {
  let values: { only?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({ options: { only: { type: 'string' }, help: { type: 'boolean' } }, strict: true }));
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (values.only === undefined) return undefined;
  return new Set(values.only.split(',').map((id) => id.trim()).filter((id) => id !== ''));
}

/** "plugin starts … began from +12 ms to +4.1 s after …, at most 4 running at once": medians over the rounds, the most of any round. */
function describeSpread(spreads: readonly Spread[], after: string): string {
  if (spreads.length === 0) return '';
  const ms = (pick: (s: Spread) => number) => formatDuration(median(spreads.map(pick)) * NS_PER_MS);
  const most = Math.max(...spreads.map((s) => s.maxConcurrent));
  return `plugin starts (spawn → SERVING) began from +${ms((s) => s.firstStartMs)} to +${ms((s) => s.lastStartMs)} after ${after}, at most ${most} running at once`;
}

async function main(): Promise<void> {
  const only = parseOnly();
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

  // Each series lists the rows it feeds (as the row itself, its reference or
  // its floor), so that --only runs just what the chosen rows need.
  const known = new Set<string>();
  const feeds = (rows: readonly string[], needsGo = false): string | undefined => {
    for (const id of rows) known.add(id);
    if (only !== undefined && !rows.some((id) => only.has(id))) return 'not selected with --only';
    return needsGo ? noGo : undefined;
  };
  const nodeNoop = new Series<number[]>('node -e 0', [], feeds(['a', 'b', 'c', 'r1', 'r3']));
  const goLocal = new Series<GoHostSamples>('Go host → local', emptyGoHostSamples(), feeds(['b', 'd', 'e', 'h1', 'h2', 'i1'], true));
  const goLocalMtls = new Series<GoHostSamples>('Go host → local (AutoMTLS)', emptyGoHostSamples(), feeds(['c'], true));
  const goGo = new Series<GoHostSamples>('Go host → Go plugin', emptyGoHostSamples(), feeds(['d', 'e', 'f', 'g', 'i2', 'j', 'r2'], true));
  const tsGo = new Series<TsHostSamples>('TS host → Go plugin', emptyTsHostSamples(), feeds(['f', 'g', 'i2', 'f0', 'g0'], true));
  const tsLocal = new Series<TsHostSamples>('TS host → local', emptyTsHostSamples(), feeds(['h1', 'h2', 'i1', 'm', 'm2', 'm3']));
  const tsAws = new Series<TsHostSamples>('TS host → aws', emptyTsHostSamples(), feeds(['m']));
  const tsGcp = new Series<TsHostSamples>('TS host → gcp', emptyTsHostSamples(), feeds(['m2']));
  const tsAzure = new Series<TsHostSamples>('TS host → azure', emptyTsHostSamples(), feeds(['m3']));
  const bundles = new Series<BundleSizes>('bundle sizes', emptyBundleSizes(), feeds(['z1', 'z2', 'z3', 'z4']));
  const floorLocal = new Series<number[]>('fork/exec local', [], feeds(['r1', 'b', 'c', 'h1', 's5', 'c1']));
  const floorGo = new Series<number[]>('fork/exec Go plugin', [], feeds(['r2', 'f', 'j'], true));
  const floorAws = new Series<number[]>('fork/exec aws', [], feeds(['r3', 'm']));
  const cli = join(ROOT, 'bin/snoozebot');
  const daemonGo = new Series<DaemonSamples>('daemon, Go plugin', emptyDaemonSamples(), feeds(['j'], true));
  const daemonLocal = new Series<DaemonSamples>('daemon, 20 local plugins', emptyDaemonSamples(), feeds(['k', 'l']));
  const bareDaemon = new Series<BareDaemonSamples>('daemon, no plugins', emptyBareDaemonSamples(), feeds(['k', 's1', 's2']));
  const N = CONFIG.scalePlugins;
  // The daemon's default start gate on this machine: the gated floor runs as many execs at once.
  const gateLimit = defaultStartConcurrency(availableParallelism());
  const gatedFloor = new Series<ParallelFloorSamples>(
    `${N} × fork/exec local, ${gateLimit} at a time`,
    emptyParallelFloorSamples(),
    feeds(['r4', 's1', 's3', 's4']),
  );
  const parallelFloor = new Series<ParallelFloorSamples>(`${N} × fork/exec local at once`, emptyParallelFloorSamples(), feeds(['r4', 's1', 's4']));
  const scale = new Series<ScaleSamples>(`daemon, ${N} local plugins`, emptyScaleSamples(), feeds(['s1', 's2', 's3', 's4', 's5']));
  const idle = new Series<IdleSamples>('idle monitor', emptyIdleSamples(), feeds(['n1', 'n2', 'n3', 'n4']));
  const crowd = new Series<CrowdSamples>('idle monitor, 20 sessions and 50 interfaces', emptyCrowdSamples(), feeds(['n5']));
  // Issue 12: a cgroup per plugin against process groups (bench/measure-containment.ts).
  const containmentWanted = feeds(['c1', 'c2', 'c3', 'c4']);
  const cgroups = containmentWanted === undefined ? await benchContainment() : containmentWanted;
  const contained = new Series<ContainmentSamples>('cgroup vs process group', emptyContainmentSamples(), typeof cgroups === 'string' ? cgroups : undefined);
  const allSeries: Pick<Series<unknown>, 'name' | 'error'>[] = [
    nodeNoop, goLocal, goLocalMtls, goGo, tsGo, tsLocal, tsAws, floorLocal, floorGo, floorAws,
    daemonGo, daemonLocal, bareDaemon, gatedFloor, parallelFloor, scale, idle, crowd, contained,
  ];
  const interopSkip = feeds(INTEROP_ROWS, true);
  for (const id of footprintRowIds()) known.add(id);
  allSeries.push(tsGcp, tsAzure, bundles);
  const unknown = [...(only ?? [])].filter((id) => !known.has(id));
  if (unknown.length > 0) throw new UsageError(`--only: no row ${unknown.join(', ')} (rows: ${[...known].sort().join(', ')})`);

  const cycle = { warmupRpcs: CONFIG.warmupRpcs, timedRpcs: CONFIG.rpcs - CONFIG.warmupRpcs };
  const gohostRun = { repeat: CONFIG.cycles, rpcs: CONFIG.rpcs, skipRpcs: CONFIG.warmupRpcs };
  const floorRuns = (plugin: string) => async (s: number[]) => void s.push(...(await timeForkExecs(plugin, CONFIG.cycles)));

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
  await tsGcp.step(() => runTsHostCycleInto(emptyTsHostSamples(), pluginPath(ROOT, 'gcp'), { warmupRpcs: 500, timedRpcs: 0 }));
  await tsAzure.step(() => runTsHostCycleInto(emptyTsHostSamples(), pluginPath(ROOT, 'azure'), { warmupRpcs: 500, timedRpcs: 0 }));
  await bundles.step((s) => measureBundleSizes(s, ROOT));
  await tsGo.step(() => runTsHostCycleInto(emptyTsHostSamples(), goBin.plugin, { warmupRpcs: 500, timedRpcs: 0 }));
  await floorLocal.step(() => timeForkExecs(LOCAL_PLUGIN, 2).then(() => undefined));
  await floorGo.step(() => timeForkExecs(goBin.plugin, 2).then(() => undefined));
  await floorAws.step(() => timeForkExecs(AWS_PLUGIN, 2).then(() => undefined));
  await contained.step(() => runHostCycles(emptyContainmentSamples(), cgroups as Containment, LOCAL_PLUGIN, 1));
  const warmupStart = warmLocal.startToFirstRpc[0];

  // Each series alternates with its reference and its floor:
  //   node ⇄ fork/exec local ⇄ Go host → local (plain, then AutoMTLS)   (r1, b, c)
  //   fork/exec Go plugin ⇄ TS host → Go plugin ⇄ Go host → Go plugin   (r2, f, g, i)
  //   Go host → local ⇄ TS host → local                                 (h, i)
  //   TS host → local ⇄ fork/exec aws ⇄ TS host → aws                   (r3, m)
  for (let round = 1; round <= CONFIG.rounds; round++) {
    log(`round ${round}/${CONFIG.rounds}`);
    await nodeNoop.step(async (s) => void s.push(...(await timeNodeNoops(CONFIG.nodeRuns))));
    await floorLocal.step(floorRuns(LOCAL_PLUGIN));
    await goLocal.step((s) => runGoHostInto(s, goBin.host, LOCAL_PLUGIN, gohostRun));
    await floorGo.step(floorRuns(goBin.plugin));
    await tsGo.step((s) => runTsHostCyclesInto(s, goBin.plugin, CONFIG.cycles, { ...cycle, raw: true }));
    await nodeNoop.step(async (s) => void s.push(...(await timeNodeNoops(CONFIG.nodeRuns))));
    await goLocalMtls.step((s) =>
      runGoHostInto(s, goBin.host, LOCAL_PLUGIN, { mtls: true, repeat: CONFIG.cycles, rpcs: 0 }),
    );
    await goGo.step((s) => runGoHostInto(s, goBin.host, goBin.plugin, gohostRun));
    await tsLocal.step((s) => runTsHostCyclesInto(s, LOCAL_PLUGIN, CONFIG.cycles, cycle));
    await floorAws.step(floorRuns(AWS_PLUGIN));
    // Start only: GetAPIVersion needs no AWS endpoint, so no EC2 or IMDS is involved.
    await tsAws.step((s) => runTsHostCyclesInto(s, AWS_PLUGIN, CONFIG.cycles, { warmupRpcs: 0, timedRpcs: 0 }));
    // Issue 15, the same way: no metadata server or cloud API is involved.
    await tsGcp.step((s) => runTsHostCyclesInto(s, pluginPath(ROOT, 'gcp'), CONFIG.cycles, { warmupRpcs: 0, timedRpcs: 0 }));
    await tsAzure.step((s) => runTsHostCyclesInto(s, pluginPath(ROOT, 'azure'), CONFIG.cycles, { warmupRpcs: 0, timedRpcs: 0 }));
    await contained.step((s) => runHostCycles(s, cgroups as Containment, LOCAL_PLUGIN, CONFIG.cycles));
    await contained.step((s) => runSpawnMoves(s, cgroups as Containment, 20));
  }

  // Issue 4: the daemon, measured after the rest (it starts 20 plugins at once).
  if (daemonGo.usable) log('daemon: kill -9 → serving again (Go plugin)…');
  await daemonGo.step((s) => measureRestarts(s, ROOT, cli, goBin.plugin, 30));
  if (daemonLocal.usable) log('daemon: no plugins, then 20 local plugins: RSS and API latency…');
  await bareDaemon.step((s) => measureBare(s, ROOT, cli, 500));
  await daemonLocal.step((s) => measureTwenty(s, ROOT, cli, LOCAL_PLUGIN, 500));
  if (contained.usable) log('daemon: kill -9 → serving again, cgroups on and off…');
  await contained.step((s) => runDaemonRestarts(s, ROOT, cli, LOCAL_PLUGIN, 30));
  if (typeof cgroups === 'object') await cgroups.close();

  // Issue 7: N plugins under one daemon, each round beside N plain execs at once and a bare daemon.
  for (let round = 1; round <= CONFIG.scaleRounds && scale.usable; round++) {
    log(`scale round ${round}/${CONFIG.scaleRounds}: ${N} × fork/exec (${gateLimit} at a time, all at once), bare daemon, daemon with ${N} plugins…`);
    await gatedFloor.step((s) => runParallelInto(s, LOCAL_PLUGIN, N, gateLimit));
    await parallelFloor.step((s) => runParallelInto(s, LOCAL_PLUGIN, N));
    await bareDaemon.step((s) => measureBare(s, ROOT, cli, 500));
    await scale.step((s) => measureScale(s, ROOT, cli, LOCAL_PLUGIN, { plugins: N, loneKills: CONFIG.loneKills, requests: 500 }));
  }

  // Issue 6: the idle monitor on this machine's /proc, in a process of its own.
  if (idle.usable) log(`idle monitor: ${IDLE_SAMPLES.toLocaleString('en-US')} samples back to back…`);
  await idle.step((s) => measureIdleInto(s, join(ROOT, 'dist/js')));
  // Issue 17: the same on a crowded machine, against the plain sample in the same process.
  await crowd.step((s) => measureCrowdInto(s, join(ROOT, 'dist/js')));

  // Issue 13: the interop matrix, every host × plugin kind, 2 plugin processes per cell per round.
  const interopRun = { rounds: CONFIG.rounds, cycles: 2, rpcs: CONFIG.rpcs, warmupRpcs: CONFIG.warmupRpcs };
  const interop = interopSkip === undefined && build.ok ? await measureInterop(build, LOCAL_PLUGIN, interopRun, log) : { skipped: interopSkip ?? noGo ?? '' };

  // Issue 16: the CLI's and the daemon's footprint, on this Node and on Node 24.
  const footprint = await measureFootprint({ root: ROOT, cli, localPlugin: LOCAL_PLUGIN, rounds: CONFIG.rounds, only, log });

  const loadAfter = loadAverage();
  const elapsedS = (performance.now() - began) / 1000;

  const nodeRef = { label: 'a. node -e 0', series: nodeNoop, pick: (s: number[]) => s };
  const goGoStart = { label: 'Go host → Go plugin', series: goGo, pick: (s: GoHostSamples) => s.startToFirstRpc };
  const goGoRpc = { label: 'Go host → Go plugin', series: goGo, pick: (s: GoHostSamples) => s.rpc };
  const goGoKill = { label: 'Go host → Go plugin Kill()', series: goGo, pick: (s: GoHostSamples) => s.kill };
  const goLocalStart = { label: 'Go host → local', series: goLocal, pick: (s: GoHostSamples) => s.startToFirstRpc };
  const goLocalRpc = { label: 'Go host → local', series: goLocal, pick: (s: GoHostSamples) => s.rpc };
  const goLocalKill = { label: 'Go host → local Kill()', series: goLocal, pick: (s: GoHostSamples) => s.kill };
  const samplesOf = (s: number[]) => s;
  const localFloor = { label: 'r1', series: floorLocal, pick: samplesOf };
  const goFloor = { label: 'r2', series: floorGo, pick: samplesOf };
  const awsFloor = { label: 'r3', series: floorAws, pick: samplesOf };
  const bareRss = { label: 'daemon, no plugins', series: bareDaemon, pick: (s: BareDaemonSamples) => s.rss };
  const parallelExecs = { label: `${N} execs at once`, series: parallelFloor, pick: (s: ParallelFloorSamples) => s.all };
  const gatedExecs = { label: 'r4', series: gatedFloor, pick: (s: ParallelFloorSamples) => s.all };

  /** "; plugin exits: 37× code 0, 3× SIGTERM", or nothing when every exit was a clean code 0. */
  const exits = (tally: Record<string, number>, when: string) => {
    const kinds = Object.entries(tally).sort((x, y) => y[1] - x[1]);
    if (kinds.length === 0 || (kinds.length === 1 && kinds[0]?.[0] === 'code 0')) return '';
    return `; plugin exits ${when}: ${kinds.map(([how, n]) => `${n}× ${how}`).join(', ')} (not all a clean exit 0)`;
  };
  const interleave = `${CONFIG.rounds} rounds × ${CONFIG.cycles} cycles, interleaved with the reference`;
  const stopNote = 'stop() asks GRPCController.Shutdown first and signals only if that fails; target is absolute';
  const rpcNote = `GetAPIVersion calls ${CONFIG.warmupRpcs + 1}–${CONFIG.rpcs} of each cycle (first ${CONFIG.warmupRpcs} left out), pooled`;
  const floorNote = (plugin: string) =>
    `${plugin} spawned from this Node.js process with the host's environment (cookie, PLUGIN_* variables), timed to its first stdout line (checked to be a handshake), then SIGKILLed; no gRPC; ${CONFIG.rounds} rounds × ${CONFIG.cycles}`;
  const bareReady = bareDaemon.samples.ready.length > 0 ? formatDuration(median(bareDaemon.samples.ready)) : undefined;
  const pss = (bytes: readonly number[]) => (bytes.length > 0 ? formatBytes(median(bytes)) : 'unknown');
  const scaleRounds = `${CONFIG.scaleRounds} round${CONFIG.scaleRounds === 1 ? '' : 's'}`;
  const scaleNote = `${scaleRounds}, one daemon each, interleaved with the reference`;

  const ofCore = (ns: readonly number[]) =>
    ns.length > 0 ? `${((median(ns) / 10e9) * 100).toFixed(4)} % of one core at the default 10 s interval` : 'unknown';
  const band = (bytes: readonly number[]) =>
    bytes.length > 0 ? `${formatBytes(Math.min(...bytes))}–${formatBytes(Math.max(...bytes))}` : 'unknown';
  const idleNote = `${IDLE_SAMPLES.toLocaleString('en-US')} samples back to back in a separate Node.js process, CPU measured in batches of 100`;

  const idleGroup: Group = {
    title: 'Issue 6: the idle monitor',
    rows: [
      row(
        {
          id: 'n1',
          label: 'idle sample: CPU per sample (all signals, no custom check)',
          // 0.2 % of one core at a 10 s interval.
          target: { kind: 'absolute', maxNs: 20e6 },
          note: `${idleNote}; = ${ofCore(idle.samples.sampleCpu)}; reference: the four /proc files read alone, the floor of any sample`,
        },
        idle,
        (s) => s.sampleCpu,
        { label: 'four /proc reads', series: idle, pick: (s: IdleSamples) => s.reads },
      ),
      row(
        {
          id: 'n2',
          label: 'idle sample with one custom check (`true`): CPU per sample',
          target: { kind: 'absolute', maxNs: 20e6 },
          note: `the check's /bin/sh counted too (children's CPU); = ${ofCore(idle.samples.checkCpu)}; reference: n1`,
        },
        idle,
        (s) => s.checkCpu,
        { label: 'n1', series: idle, pick: (s: IdleSamples) => s.sampleCpu },
      ),
      row(
        {
          id: 'n3',
          label: `idle monitor: RSS growth over ${IDLE_SAMPLES.toLocaleString('en-US')} samples`,
          target: { kind: 'bytes', maxBytes: 2 * 1024 * 1024 },
          unit: 'bytes',
          note:
            `least-squares trend of VmRSS read after a full GC every 500 samples (after 2,000 warm-up samples), in bytes per 10,000 samples; ` +
            `the readings stayed within ${band(idle.samples.rssCheckpoints)}; young generation pinned at 1 MiB ` +
            '(back to back, V8 would otherwise grow it, which a daemon sampling every 10 s never does); reference: the RSS before',
        },
        idle,
        (s) => s.rssGrowth,
        { label: 'RSS before', series: idle, pick: (s: IdleSamples) => s.rssBefore },
      ),
      row(
        {
          id: 'n4',
          label: `idle monitor: heap growth over ${IDLE_SAMPLES.toLocaleString('en-US')} samples`,
          target: { kind: 'bytes', maxBytes: 256 * 1024 },
          unit: 'bytes',
          note: 'V8 heapUsed after a full GC, after minus before; reference: the heap before',
        },
        idle,
        (s) => s.heapGrowth,
        { label: 'heap before', series: idle, pick: (s: IdleSamples) => s.heapBefore },
      ),
      row(
        {
          id: 'n5',
          label: 'idle sample with 20 sessions and 50 interfaces: CPU per sample',
          target: { kind: 'absolute', maxNs: 1e6 },
          note:
            'a fixture root: 20 live utmp sessions with a terminal each, 50 interfaces (2 physical); batches of 100, alternating with ' +
            `the plain sample of this machine (n1's setting) in the same process; = ${ofCore(crowd.samples.crowdCpu)}; reference: that plain sample`,
        },
        crowd,
        (s) => s.crowdCpu,
        { label: 'n1 (plain sample)', series: crowd, pick: (s: CrowdSamples) => s.plainCpu },
      ),
    ],
  };

  const containmentGroup: Group = {
    title: 'Issue 12: a cgroup per plugin, against process groups',
    rows: [
      row(
        { id: 'c1', label: 'TS host → local in its own cgroup: start → first RPC', target: { kind: 'ratio', max: 1.2 }, note: `cgroup made, /bin/sh enters it and execs the plugin; reference: the same without containment (process group), cycle by cycle; ${interleave}` },
        contained,
        (s) => s.cgroupStart,
        { label: 'process group', series: contained, pick: (s: ContainmentSamples) => s.groupStart },
        localFloor,
      ),
      row(
        { id: 'c2', label: 'the move: /bin/true through the cgroup wrapper, spawn → exit', target: { kind: 'info' }, note: `/bin/sh writes its pid into cgroup.procs, then execs /bin/true; mkdir and rmdir of the cgroup not timed; reference: /bin/true spawned plainly, in turn; ${CONFIG.rounds} rounds × 20` },
        contained,
        (s) => s.wrappedSpawn,
        { label: '/bin/true', series: contained, pick: (s: ContainmentSamples) => s.plainSpawn },
      ),
      row(
        { id: 'c3', label: 'TS host stop(), local plugin in its own cgroup', target: { kind: 'info' }, note: 'Shutdown, then cgroup.kill of what is left, wait until empty, rmdir; reference: the same stop by process group' },
        contained,
        (s) => s.cgroupStop,
        { label: 'process group', series: contained, pick: (s: ContainmentSamples) => s.groupStop },
      ),
      row(
        { id: 'c4', label: 'daemon: kill -9 of a serving local plugin → serving again, cgroups on', target: { kind: 'ratio', max: 1.2 }, note: '30 kills, each alternating with one on a second daemon with "cgroups": false (the reference); from kill() to the "serving" log line (ms timestamps)' },
        contained,
        (s) => s.cgroupRestart,
        { label: '"cgroups": false', series: contained, pick: (s: ContainmentSamples) => s.groupRestart },
      ),
    ],
  };

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
          localFloor,
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
          localFloor,
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
          goFloor,
        ),
        row(
          { id: 'g', label: 'TS host → Go plugin: apiVersion p50', target: { kind: 'ratio', max: 1.5 }, note: rpcNote },
          tsGo,
          (s) => s.rpc,
          goGoRpc,
        ),
        row(
          { id: 'f0', label: 'grpc-js alone: new channel → first apiVersion (floor of f)', target: { kind: 'info' }, note: 'a bare grpc-js Client to the same Go plugin, after each f cycle; what grpc-js costs by itself' },
          tsGo,
          (s) => s.rawFirst,
          goGoStart,
        ),
        row(
          { id: 'g0', label: 'grpc-js alone: apiVersion p50 (floor of g)', target: { kind: 'info' }, note: 'the same calls as g on a bare grpc-js Client: no delivery check, no error mapping' },
          tsGo,
          (s) => s.rawRpc,
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
          localFloor,
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
          goFloor,
        ),
        row(
          {
            id: 'k',
            label: 'daemon RSS with 20 local plugins serving',
            target: { kind: 'bytes', maxBytes: 120 * 1024 * 1024 },
            note: 'VmRSS of the daemon process alone, sampled every 50 API requests; reference: the same daemon and requests with an empty plugins directory',
          },
          daemonLocal,
          (s) => s.rss20,
          bareRss,
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
          awsFloor,
        ),
      ],
    },
    {
      title: 'Issue 15: the GCP and Azure plugins',
      rows: [
        ...(['gcp', 'azure'] as const).map((name, i) =>
          row(
            {
              id: `m${i + 2}`,
              label: `TS host → ${name}: start → first RPC`,
              target: { kind: 'ratio', max: 1.5 },
              note: `steady state: code cache warm; right after the TS host → aws cycles of each round, as m; ${interleave}`,
            },
            name === 'gcp' ? tsGcp : tsAzure,
            (s) => s.startToFirstRpc,
            { label: 'TS host → local', series: tsLocal, pick: (s: TsHostSamples) => s.startToFirstRpc },
          ),
        ),
        ...(['local', 'aws', 'gcp', 'azure'] as const).map((name, i) =>
          row(
            {
              id: `z${i + 1}`,
              label: `bundle size: dist/plugins/${name}`,
              target: { kind: name === 'local' ? 'reference' : 'info' },
              unit: 'bytes',
              note: name === 'local' ? 'everything a plugin needs, SDK and gRPC included, in one file' : 'the same, with the cloud SDK inlined; reference: z1',
            },
            bundles,
            (s) => s[name],
            name === 'local' ? undefined : { label: 'z1. local', series: bundles, pick: (s: BundleSizes) => s.local },
          ),
        ),
      ],
    },
    idleGroup,
    interopGroup(interop),
    containmentGroup,
    {
      title: 'Issue 7: floors (plain fork/exec → handshake line)',
      rows: [
        row(
          { id: 'r1', label: 'fork/exec local → handshake line', target: { kind: 'reference' }, note: `${floorNote('dist/plugins/local')}; next to a, b` },
          floorLocal,
          samplesOf,
          nodeRef,
        ),
        row(
          { id: 'r2', label: 'fork/exec Go plugin → handshake line', target: { kind: 'reference' }, note: `${floorNote('the Go fixture plugin')}; next to f` },
          floorGo,
          samplesOf,
          goGoStart,
        ),
        row(
          { id: 'r3', label: 'fork/exec aws → handshake line', target: { kind: 'reference' }, note: `${floorNote('dist/plugins/aws')}; next to m` },
          floorAws,
          samplesOf,
          nodeRef,
        ),
        row(
          {
            id: 'r4',
            label: `${N} × fork/exec local, ${gateLimit} at a time → last handshake`,
            target: { kind: 'reference' },
            note:
              `as r1, the next spawned as soon as one prints its line, all kept running to the end: the daemon's schedule (start gate ${gateLimit}) without the daemon; ` +
              `reference: the same ${N} spawned all at once, i.e. with no limit; ${scaleRounds}, next to s1 and s4`,
          },
          gatedFloor,
          (s) => s.all,
          parallelExecs,
        ),
      ],
    },
    {
      title: `Issue 7: ${N} local plugins under one daemon`,
      rows: [
        row(
          {
            id: 's1',
            label: `daemon spawn → all ${N} plugins serving`,
            target: { kind: 'info' },
            note:
              `${scaleNote}; reference: the same ${N} binaries fork/exec'd all at once, to the last handshake line; floor: r4` +
              (bareReady !== undefined ? `; the daemon's own start (spawn → API answering, no plugins) takes ${bareReady}` : '') +
              `; ${describeSpread(scale.samples.startupSpread, 'the daemon spawn')} (start gate: ${gateLimit})`,
          },
          scale,
          (s) => s.toServing,
          parallelExecs,
          gatedExecs,
        ),
        row(
          {
            id: 's2',
            label: `daemon RSS with ${N} plugins serving`,
            target: { kind: 'info' },
            unit: 'bytes',
            note: 'VmRSS of the daemon process alone, sampled every 50 API requests; reference: the same with no plugins',
          },
          scale,
          (s) => s.daemonRss,
          bareRss,
        ),
        row(
          {
            id: 's3',
            label: `RSS of the ${N} plugin processes, summed`,
            target: { kind: 'info' },
            unit: 'bytes',
            note:
              `once per round, all serving; reference: the ${N} plain execs of r4 once all have handshaken. ` +
              `Summed RSS counts shared pages (the Node.js binary) once per process; ` +
              `summed PSS: ${pss(scale.samples.pluginsPss)} served, ${pss(gatedFloor.samples.pss)} plain execs`,
          },
          scale,
          (s) => s.pluginsRss,
          { label: `r4's ${N} execs`, series: gatedFloor, pick: (s: ParallelFloorSamples) => s.rss },
        ),
        row(
          {
            id: 's4',
            label: `kill -9 of all ${N} at once → all serving again`,
            target: { kind: 'info' },
            note:
              `${scaleNote}; from the kills to the last "serving" log line; reference and floor as s1; ` +
              `${describeSpread(scale.samples.restartSpread, 'the kills')} (start gate: ${gateLimit})`,
          },
          scale,
          (s) => s.allRestart,
          parallelExecs,
          gatedExecs,
        ),
        row(
          {
            id: 's5',
            label: `kill -9 of all ${N}: each plugin → serving again`,
            target: { kind: 'info' },
            note:
              `every plugin of every round, pooled; reference: one plugin of the same daemon killed alone ` +
              `(${CONFIG.loneKills} per round, just before); the daemon forgets a crash after 200 ms of serving, so every kill is a first crash, restarted at once`,
          },
          scale,
          (s) => s.eachRestart,
          { label: 'one killed alone', series: scale, pick: (s: ScaleSamples) => s.loneRestart },
          localFloor,
        ),
      ],
    },
    ...footprint,
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
  const shown = only === undefined ? groups : groups.map((g) => ({ ...g, rows: g.rows.filter((r) => only.has(r.id) || only.has(r.id.split('@')[0] ?? '')) })).filter((g) => g.rows.length > 0);
  const failed = allSeries.filter((s) => s.error !== undefined);
  const footer = [
    ...(noGo !== undefined ? [`Go rows skipped: ${noGo}`, ''] : []),
    ...failed.flatMap((s) => [`${s.name} failed: ${s.error ?? ''}`, '']),
    ...interopMatrixLines(interop),
    `Measured in ${elapsedS.toFixed(0)} s (build not included). Targets are reported, not enforced.`,
  ];
  const report = renderReport(machine, shown, footer);
  process.stdout.write(report);

  const json = {
    machine,
    config: CONFIG,
    elapsedSeconds: Math.round(elapsedS * 10) / 10,
    startGate: gateLimit,
    scaleSpreads: { startup: scale.samples.startupSpread, restart: scale.samples.restartSpread },
    groups: groups.map((g) => ({
      title: g.title,
      rows: g.rows.map((r) => ({
        id: r.id,
        label: r.label,
        unit: unitOf(r),
        median: r.summary?.median ?? null,
        p99: r.summary?.p99 ?? null,
        min: r.summary?.min ?? null,
        max: r.summary?.max ?? null,
        n: r.summary?.n ?? 0,
        reference: r.reference
          ? { label: r.reference.label, median: r.reference.summary.median, p99: r.reference.summary.p99, n: r.reference.summary.n }
          : null,
        ratio: r.ratio ?? null,
        floor: r.floor ? { label: r.floor.label, median: r.floor.summary.median, p99: r.floor.summary.p99, n: r.floor.summary.n } : null,
        floorRatio: r.floorRatio ?? null,
        target: r.target,
        result: r.result,
        note: r.note ?? null,
        problem: r.problem ?? null,
      })),
    })),
  };
  if (only === undefined) {
    await writeFile(join(ROOT, 'bench/results.json'), `${JSON.stringify(json, null, 2)}\n`);
    await writeFile(join(ROOT, 'bench/results.md'), report);
    log('wrote bench/results.json and bench/results.md');
  } else {
    log('--only: bench/results.* left as they were');
  }

  if (failed.length > 0) {
    log(`measurement errors in: ${failed.map((s) => s.name).join(', ')}`);
    process.exitCode = 1;
  }
  if ('errors' in interop && interop.errors.size > 0) process.exitCode = 1;
  if (footprint.some((g) => g.rows.some((r) => r.result === 'error'))) process.exitCode = 1;
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`bench crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
