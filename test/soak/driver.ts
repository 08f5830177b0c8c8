// The soak: a real daemon with 10-20 plugins (copies of the bundled local
// plugin, chaos fixture plugins, Go go-plugin fixture plugins), a driver
// injecting faults into them, and API/CLI callers hammering the daemon
// meanwhile. At the end it checks, and reports:
//
// 1. the daemon is alive and answers;
// 2. every plugin serves, or is `failed` with the crash count as reason;
// 3. no process of the run is left besides the daemon's live plugins (none
//    stopped by SIGSTOP), no socket directory beyond theirs, and nothing at
//    all once the daemon has stopped;
// 4. the daemon holds no more descriptors than after its warm-up, with
//    every plugin serving and no client connected in both cases;
// 5. no API or CLI call failed, with p50/p99 latency during the soak;
// 6. every fault is accounted for in the daemon's log;
// 7. the writers (load, unload, restart, instance stop, SIGHUP reloads on
//    plugins of their own, test/soak/writers.ts) got only the documented
//    answers, every stop accepted ran the stop command once, and every
//    reload was applied;
// 8. the lifecycle invariants (test/soak/invariants.ts) held at every look
//    during the run, not only at its end.
//
// The same code runs the short form (test/soak/soak.test.ts, in npm test)
// and the long form (scripts/soak.ts, npm run soak); only SoakOptions differ.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DaemonStatus, PluginStatus } from '../../src/daemon/types.js';
import { assertCgroupsGone } from '../helpers/cgroups.js';
import { runCli } from '../helpers/daemon.js';
import { buildGoInterop } from '../interop/go-build.js';
import { accountFaults } from './accounting.js';
import { apiRequest, listPlugins, pluginAction } from './api.js';
import { API_ENDPOINTS, ApiLoad, CLI_COMMANDS } from './api-load.js';
import { soakConfig } from './config.js';
import { FaultRunner } from './fault-runner.js';
import { NEEDS_CGROUPS } from './fault.js';
import type { FaultKind, FaultRecord } from './fault.js';
import { Latencies } from './latency.js';
import type { SoakOptions } from './options.js';
import { strayProcesses, strayTmpEntries } from './leftover-checks.js';
import { pluginSet } from './plugin-set.js';
import { InvariantWatch } from './invariants.js';
import { fdKindsDiff, fdSnapshot, ProcessTracker, settledFdSnapshot } from './processes.js';
import { Random } from './random.js';
import type { FinalPlugin, SoakReport } from './report.js';
import { RunDir } from './run-dir.js';
import { SoakDaemon } from './soak-daemon.js';
import { describePlugin, waitUntil } from './waits.js';
import { WriteLoad } from './writers.js';

/**
 * Descriptors the daemon may hold at the end beyond its count after the
 * warm-up. Both counts are taken with every plugin serving and no client
 * connected, so a leak of one descriptor per fault, restart or call shows as
 * hundreds; the counts have been equal in every run so far. The slack only
 * lets through a few that are neither: one a library opens on first use after
 * the warm-up, or a plugin's gRPC channel holding a second connection for the
 * moment it reconnects.
 */
export const FD_SLACK = 6;

const FAILED_REASON = /^crashed \d+ times within .*; last: /;
const SETTLE_MS = 60_000;
const SCAN_EVERY_MS = 500;

export type SoakLog = (line: string) => void;

const briefList = (items: readonly string[]) => `${items.length} entries: ${items.slice(0, 5).join(', ')}${items.length > 5 ? ', …' : ''}`;

/** Polls the plugin list until every plugin of `names` satisfies `accept`; throws with the last list seen. */
async function waitAllPlugins(daemon: SoakDaemon, names: readonly string[], accept: (p: PluginStatus) => boolean, what: string): Promise<PluginStatus[]> {
  let last: PluginStatus[] = [];
  try {
    await waitUntil(
      async () => {
        last = await listPlugins(daemon.run.socket);
        return names.every((n) => {
          const p = last.find((x) => x.name === n);
          return p !== undefined && accept(p);
        });
      },
      what,
      SETTLE_MS,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen:\n${last.map((p) => `  ${p.name}: ${describePlugin(p)}`).join('\n')}\n${daemon.tail()}`);
  }
  return last;
}

export async function runSoak(options: SoakOptions, log: SoakLog = () => undefined): Promise<SoakReport> {
  const started = Date.now();
  const problems: string[] = [];
  const random = new Random(options.seed);

  const build = await buildGoInterop();
  let goSkipped: string | undefined;
  if (!build.ok) {
    if (options.requireGo) throw new Error(`the soak's Go plugins are required (CI is set): ${build.reason}`);
    goSkipped = build.reason;
    log(`soak: leaving the Go plugins out: ${build.reason}`);
  }
  const faulted = pluginSet(options.plugins, build.ok);
  const writerPlugins = Array.from({ length: options.writerPlugins }, (_, i) => ({ name: `writer-${String(i + 1).padStart(2, '0')}`, kind: 'local' as const }));
  const plugins = [...faulted, ...writerPlugins];
  const names = plugins.map((p) => p.name);
  const writerNames = writerPlugins.map((p) => p.name);
  const run = await RunDir.create();
  log(`soak: seed ${options.seed}, ${plugins.length} plugins (${writerNames.length} for the writers), ${options.faults} faults, run directory ${run.root}`);
  await run.prepare(plugins, build.ok ? build.plugin : undefined, options.startNoiseLines);
  for (const p of plugins) await run.installGood(p.name);
  const stopFile = join(run.root, 'stops');

  const daemon = await SoakDaemon.start(run, soakConfig(writerNames, stopFile));
  // If this process ends early (a test timeout, Ctrl-C), the daemon still stops its plugins.
  const stopOnExit = () => daemon.child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  const tracker = new ProcessTracker(run.root);
  let scanTimer: NodeJS.Timeout | undefined;
  let fdMax = 0;
  let completed = false;
  const scan = () => {
    tracker.scan(daemon.pid);
    try {
      fdMax = Math.max(fdMax, fdSnapshot(daemon.pid).total);
    } catch {
      // the daemon is gone; the checks below say so
    }
  };

  let cgroupsSkipped: string | undefined;
  try {
    await waitAllPlugins(daemon, names, (p) => p.state === 'serving', 'every plugin serving after the start');
    const containment = (JSON.parse((await apiRequest(run.socket, 'GET', '/v1/status')).body) as DaemonStatus).containment;
    if (containment.mode !== 'cgroup') {
      cgroupsSkipped = `the daemon's containment is ${containment.mode} (${containment.detail})`;
      if (options.requireCgroups) throw new Error(`the soak's escape faults need cgroup containment (CI is set): ${cgroupsSkipped}`);
      log(`soak: leaving the escape faults out: ${cgroupsSkipped}`);
    }

    // Warm-up: every kind of call once, so what the daemon opens lazily is open before the first count.
    for (const kind of API_ENDPOINTS) {
      const path = kind === 'GET /v1/plugins/{name}' ? `/v1/plugins/${names[0]}` : kind.slice(4);
      await apiRequest(run.socket, 'GET', path);
    }
    for (const command of CLI_COMMANDS) {
      const args = command === 'plugins info' ? ['plugins', 'info', names[0] ?? ''] : command.split(' ');
      await runCli([...args, '--json', '--socket', run.socket]);
    }
    const fdStart = await settledFdSnapshot(daemon.pid);
    fdMax = fdStart.total;
    scanTimer = setInterval(scan, SCAN_EVERY_MS);
    scanTimer.unref();

    // ---- the soak ----
    const t0 = Date.now();
    const parked = new Set<string>();
    const maxParked = Math.floor(plugins.length * options.maxParkedShare);
    const load = new ApiLoad({
      socket: run.socket,
      names,
      clients: options.apiClients,
      pauseMs: options.apiPauseMs,
      cliPauseMs: options.cliPauseMs,
      // Its own stream: how many calls fit between two faults must not change which faults are drawn.
      random: new Random(options.seed ^ 0x5eed),
      onPid: (pid, name) => tracker.track(pid, `plugin ${name}`),
    });
    const ctx = {
      run,
      daemon,
      tracker,
      load,
      random,
      options,
      t0,
      park: (name: string) => {
        if (parked.size >= maxParked || !random.chance(0.5)) return false;
        parked.add(name);
        return true;
      },
    };
    let done = 0;
    const onFault = (record: FaultRecord) => {
      done += 1;
      if (options.verbose) {
        log(
          `  #${record.id} ${record.kind} ${record.plugin} pid ${record.pid} → ${record.outcome}${record.newPid ? ` (pid ${record.newPid})` : ''} ` +
            `${Math.round(record.durationMs)} ms${record.notes.length > 0 ? ` [${record.notes.join('; ')}]` : ''}`,
        );
      } else if (done % 100 === 0) {
        log(`soak: ${done}/${options.faults} faults, ${((Date.now() - t0) / 1000).toFixed(0)} s, ${load.errorCount} API errors`);
      }
    };
    const excluded = new Set<FaultKind>(cgroupsSkipped === undefined ? [] : NEEDS_CGROUPS);
    const runner = new FaultRunner(ctx, faulted, parked, onFault, excluded);
    const writers = new WriteLoad({
      socket: run.socket,
      names: writerNames,
      clients: options.writerClients,
      minMutating: options.minMutatingCalls,
      reloadEveryMs: options.reloadEveryMs,
      daemon: daemon.child,
      stopFile,
      random: new Random(options.seed ^ 0x3717e5),
    });
    const invariants = new InvariantWatch(run.socket, daemon.pid, options.invariantEveryMs);
    load.start();
    writers.start();
    invariants.start();
    try {
      await runner.run();
      // The writers go on until they made their share of mutating calls.
      await writers.stop();
    } finally {
      await writers.stop();
      await load.stop();
      await invariants.stop();
    }
    const faultPhaseMs = Date.now() - t0;
    if (runner.deadlineHit) problems.push(`the deadline (${options.deadlineMs} ms) stopped the run after ${runner.records.length} of ${options.faults} faults`);
    else if (runner.records.length < options.faults) problems.push(`only ${runner.records.length} of ${options.faults} faults were injected`);

    // ---- the writers: documented answers only, one stop command per stop, every reload applied ----
    const writes = writers.counts();
    if (writes.errorCount > 0) problems.push(`${writes.errorCount} writer calls got an answer the API does not document for them: ${writes.errors.slice(0, 5).join('; ')}`);
    if (writes.mutating < options.minMutatingCalls) problems.push(`the writers made ${writes.mutating} mutating calls, fewer than ${options.minMutatingCalls}`);
    for (const name of writerNames) {
      const answer = await pluginAction(run.socket, name, 'load');
      if (answer.status !== 200) problems.push(`POST /v1/plugins/${name}/load after the writers answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    }
    const stopCommands = await writers.stopCommandsRun();
    if (stopCommands < writes.stops.accepted || stopCommands > writes.stops.accepted + writes.stops.unknown) {
      problems.push(`the stop command ran ${stopCommands} times for ${writes.stops.accepted} stops accepted and ${writes.stops.unknown} with an unknown outcome`);
    }
    const reloadsApplied = () => daemon.ownLines().filter((l) => l.line.msg === 'configuration reloaded').length;
    await waitUntil(async () => reloadsApplied() >= writes.reloads, 'every SIGHUP applied', SETTLE_MS).catch(() => undefined);
    if (reloadsApplied() !== writes.reloads) problems.push(`${writes.reloads} SIGHUPs sent, ${reloadsApplied()} reloads applied`);
    await invariants.look().catch((error: unknown) => problems.push(`the last invariant look failed: ${(error as Error).message}`));
    for (const v of invariants.violations.slice(0, 10)) problems.push(`lifecycle invariant broken at ${v}`);

    // ---- settle: every plugin serving, or failed (the parked ones) ----
    let finalStatuses: PluginStatus[] = [];
    try {
      finalStatuses = await waitAllPlugins(
        daemon,
        names,
        (p) => (p.state === 'serving' && p.pid !== null) || p.state === 'failed',
        'every plugin serving or failed after the faults',
      );
    } catch (error) {
      problems.push((error as Error).message);
      finalStatuses = await listPlugins(run.socket);
    }
    const finalPlugins: FinalPlugin[] = plugins.map((p) => {
      const s = finalStatuses.find((x) => x.name === p.name);
      const ok = s !== undefined && (s.state === 'serving' || (s.state === 'failed' && FAILED_REASON.test(s.reason) && s.lastError !== null));
      return { name: p.name, kind: p.kind, state: s?.state ?? 'missing', reason: s?.reason ?? '', lastError: s?.lastError ?? null, restarts: s?.restarts ?? 0, ok };
    });
    for (const p of finalPlugins) if (!p.ok) problems.push(`plugin ${p.name} ended ${p.state} (${p.reason}), neither serving nor failed with a reason`);

    // ---- leftovers while the daemon runs ----
    scan();
    const livePids = finalStatuses.filter((s) => s.state === 'serving' && s.pid !== null).map((s) => s.pid as number);
    const running = await strayProcesses(run, tracker, new Set([...livePids, daemon.pid]));
    for (const x of running.stray) problems.push(`left behind while the daemon runs: ${x}`);
    for (const x of running.stopped) problems.push(`stopped process left: ${x}`);
    const tmpWhileRunning = await strayTmpEntries(run, daemon, finalStatuses);
    if (tmpWhileRunning.length > 0) problems.push(`in the daemon's TMPDIR for no live plugin: ${briefList(tmpWhileRunning)}`);

    // ---- accounting: the windows are closed, every fault has its lines ----
    const accounts = accountFaults(daemon, options, runner.records);
    for (const a of accounts) {
      if (a.missing.length > 0) problems.push(`fault #${a.fault.id} ${a.fault.kind} on ${a.fault.plugin} (pid ${a.fault.pid}) not accounted for: missing ${a.missing.join('; ')}`);
    }

    // ---- descriptors: the same plugins serving as at the start, no client ----
    let fdEnd = fdStart;
    try {
      for (const name of parked) {
        const answer = await pluginAction(run.socket, name, 'load');
        if (answer.status !== 200) problems.push(`POST /v1/plugins/${name}/load answered ${answer.status}: ${answer.body.slice(0, 200)}`);
      }
      await waitAllPlugins(daemon, names, (p) => p.state === 'serving', 'every plugin serving again for the descriptor count');
      fdEnd = await settledFdSnapshot(daemon.pid);
    } catch (error) {
      problems.push(`descriptor count: ${(error as Error).message}`);
    }
    if (fdEnd.total > fdStart.total + FD_SLACK) problems.push(`the daemon's descriptors grew from ${fdStart.total} to ${fdEnd.total} (allowed: ${FD_SLACK})`);
    if (fdEnd.sockets > fdStart.sockets + FD_SLACK) problems.push(`the daemon's sockets grew from ${fdStart.sockets} to ${fdEnd.sockets} (allowed: ${FD_SLACK})`);

    // ---- the daemon, alive ----
    const health = await apiRequest(run.socket, 'GET', '/healthz').catch(() => undefined);
    const aliveAtEnd = daemon.exitInfo === undefined && health?.status === 200;
    if (!aliveAtEnd) problems.push(`the daemon is not alive at the end (exit ${JSON.stringify(daemon.exitInfo)}, /healthz ${health?.status})`);

    if (load.errorCount > 0) problems.push(`${load.errorCount} API/CLI calls failed during the soak`);

    // ---- stop, and nothing may be left ----
    clearInterval(scanTimer);
    scanTimer = undefined;
    scan();
    let exit: SoakReport['daemon']['exit'];
    try {
      exit = await daemon.stop();
      if (exit.code !== 0) problems.push(`the daemon exited with ${JSON.stringify(exit)} on SIGTERM`);
    } catch (error) {
      problems.push((error as Error).message);
    }
    const afterStop = await strayProcesses(run, tracker, new Set());
    for (const x of afterStop.stray) problems.push(`left behind after the daemon stopped: ${x}`);
    for (const x of afterStop.stopped) problems.push(`stopped process left: ${x}`);
    const tmpAfterStop = await strayTmpEntries(run, daemon, []);
    if (tmpAfterStop.length > 0) problems.push(`in the daemon's TMPDIR after it stopped: ${briefList(tmpAfterStop)}`);
    // A daemon that stopped cleanly leaves none of its cgroups.
    await assertCgroupsGone(run.stateDir, exit?.code === 0).catch((error: unknown) => problems.push((error as Error).message));

    const ownErrors = daemon
      .ownLines()
      .filter((l) => l.line.level >= 50)
      .map((l) => `${l.line.msg} ${typeof l.line.error === 'string' ? l.line.error : ''}`.trim());
    for (const e of ownErrors.slice(0, 10)) problems.push(`the daemon logged an error of its own: ${e}`);
    if (daemon.strayStdout.length > 0) problems.push(`the daemon wrote ${daemon.strayStdout.length} lines to stdout that are not JSON: ${daemon.strayStdout[0]}`);
    if (daemon.stderr.trim() !== '') problems.push(`the daemon wrote to stderr: ${daemon.stderr.trim().slice(0, 300)}`);

    const byKind = [...load.stats].map(([kind, lat]) => [kind, lat.summary()] as const);
    const apiStats = [...load.stats].filter(([kind]) => !kind.startsWith('CLI ')).map(([, l]) => l);
    const cliStats = [...load.stats].filter(([kind]) => kind.startsWith('CLI ')).map(([, l]) => l);
    const report: SoakReport = {
      seed: options.seed,
      options,
      plugins,
      goSkipped,
      cgroupsSkipped,
      root: run.root,
      durationMs: Date.now() - started,
      faultPhaseMs,
      deadlineHit: runner.deadlineHit,
      accounts,
      writes: { ...writes, stopCommands, reloadsApplied: reloadsApplied() },
      invariants: { looks: invariants.looks, violations: invariants.violations },
      api: {
        byKind,
        apiTotal: Latencies.merge(apiStats).summary(),
        cliTotal: Latencies.merge(cliStats).summary(),
        errorCount: load.errorCount,
        errors: load.errors,
      },
      fds: {
        start: { total: fdStart.total, sockets: fdStart.sockets, pipes: fdStart.pipes },
        end: { total: fdEnd.total, sockets: fdEnd.sockets, pipes: fdEnd.pipes },
        max: fdMax,
        slack: FD_SLACK,
        diff: fdKindsDiff(fdStart, fdEnd),
      },
      finalPlugins,
      leftovers: {
        whileRunning: running.stray,
        stopped: [...running.stopped, ...afterStop.stopped],
        tmpWhileRunning,
        afterStop: afterStop.stray,
        tmpAfterStop,
        processesTracked: tracker.size,
      },
      daemon: {
        pid: daemon.pid,
        aliveAtEnd,
        exit,
        ownErrors,
        strayStdout: daemon.strayStdout,
        stderr: daemon.stderr,
        logLines: daemon.seq,
        logBytes: daemon.logBytes,
      },
      problems,
    };
    completed = true;
    return report;
  } finally {
    if (scanTimer !== undefined) clearInterval(scanTimer);
    process.removeListener('exit', stopOnExit);
    if (daemon.exitInfo === undefined) await daemon.stop().catch(() => undefined);
    // A run cut short (a deadline, a timeout) leaves no cgroup behind either.
    await assertCgroupsGone(run.stateDir, false).catch(() => undefined);
    // Kept for a post-mortem when anything went wrong, with the daemon's log in it.
    if (completed && problems.length === 0) await run.remove();
    else await writeFile(join(run.root, 'daemon-log.jsonl'), daemon.lines.map((l) => JSON.stringify(l)).join('\n')).catch(() => undefined);
  }
}
