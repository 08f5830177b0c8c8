// Injecting one fault into one serving plugin and waiting for the daemon to
// deal with it: the plugin serving again with a new process, or `failed`
// (then either left so, or given `snoozebot plugins load` as an operator
// would). A fault is over only once the daemon's log has caught up with what
// its API says, so the log lines between the fault's two marks answer it and
// nothing else (one fault per plugin at a time).
import type { PluginStatus } from '../../src/daemon/types.js';
import { runCli } from '../helpers/daemon.js';
import { apiRequest } from './api.js';
import type { ChaosCommand } from './chaos-command.js';
import { chaosAck, chaosCommandId, sendChaos } from './chaos-control.js';
import { START_TIMEOUT_MS } from './config.js';
import type { FaultKind, FaultRecord } from './fault.js';
import { servingPid, transition } from './log-lines.js';
import type { SoakOptions } from './options.js';
import type { ApiLoad } from './api-load.js';
import { isAlive, procInfo } from './processes.js';
import type { ProcessTracker } from './processes.js';
import type { Random } from './random.js';
import type { BadBinary, RunDir, SoakPlugin } from './run-dir.js';
import type { SoakDaemon } from './soak-daemon.js';
import { WaitTimeout, describePlugin, waitForLog, waitForPlugin, waitGone, waitServingOrFailed, waitUntil } from './waits.js';

export interface FaultContext {
  readonly run: RunDir;
  readonly daemon: SoakDaemon;
  readonly tracker: ProcessTracker;
  readonly load: ApiLoad;
  readonly random: Random;
  readonly options: SoakOptions;
  /** Date.now() at the start of the soak. */
  readonly t0: number;
  /** Asked when a fault leaves a plugin failed: true to leave it so, false to load it again. */
  readonly park: (name: string) => boolean;
}

/** How long the daemon may take to bring a plugin back (or give up on it). */
const RESOLVE_MS = 30_000;
/** How long a killed process may take to vanish from /proc. */
const GONE_MS = 3_000;
/** How long a log line may trail the API. */
const LOG_MS = 10_000;
/** A crash loop that has not ended in `failed` after this many kills is a finding. */
const MAX_LOOP_KILLS = 12;

/** The crash reason each bad binary must get, as the daemon words the start failure. */
export const BAD_START_REASON: Readonly<Record<Exclude<BadBinary, 'start-flood'>, RegExp>> = {
  garbage: /^failed to start: plugin \S+ sent a bad handshake: /,
  late: new RegExp(`^failed to start: plugin \\S+ did not print its handshake within ${START_TIMEOUT_MS} ms`),
  'handshake-flood': /^failed to start: plugin \S+ printed more than \d+ bytes on stdout without a newline before its handshake/,
};

type Injector = (ctx: FaultContext, record: FaultRecord, plugin: SoakPlugin) => Promise<void>;

/**
 * The target process died on its own between being picked and being hit (a
 * plugin can crash for reasons of its own on a loaded machine): the fault was
 * not injected, and another is drawn instead.
 */
class TargetGone extends Error {
  override readonly name = 'TargetGone';
}

const targetOf = (record: FaultRecord) => ({ pid: record.pid, startTime: record.pidStartTime });

/** The fault's first blow: a signal to the target, if it is still the process that was picked. */
function hit(record: FaultRecord, signal: NodeJS.Signals): void {
  if (!isAlive(targetOf(record))) throw new TargetGone(`process ${record.pid} exited before the fault`);
  try {
    process.kill(record.pid, signal);
  } catch {
    throw new TargetGone(`process ${record.pid} exited before the fault`);
  }
}

/** The first command to a chaos plugin, if it is still the process that was picked. */
async function command(ctx: FaultContext, record: FaultRecord, chaos: ChaosCommand): Promise<void> {
  if (!isAlive(targetOf(record))) throw new TargetGone(`process ${record.pid} exited before the fault`);
  try {
    await sendChaos(ctx.run.controlDir, record.pid, chaos);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') throw new TargetGone(`process ${record.pid} exited before the fault`);
    throw error;
  }
}

/** Injects `kind` into `plugin` (serving as `status` says); undefined if its process was gone already. */
export async function injectFault(
  ctx: FaultContext,
  id: number,
  kind: FaultKind,
  plugin: SoakPlugin,
  status: PluginStatus,
): Promise<FaultRecord | undefined> {
  const pid = status.pid;
  const info = pid === null ? undefined : procInfo(pid);
  if (pid === null || info === undefined || info.state === 'Z') return undefined;
  ctx.tracker.track(pid, `plugin ${plugin.name}`);
  const record: FaultRecord = {
    id,
    kind,
    plugin: plugin.name,
    pluginKind: plugin.kind,
    pid,
    pidStartTime: info.startTime,
    atMs: Date.now() - ctx.t0,
    fromSeq: ctx.daemon.seq,
    toSeq: ctx.daemon.seq,
    durationMs: 0,
    outcome: 'error',
    notes: [],
  };
  const t0 = performance.now();
  try {
    // The window of this fault starts once the log has caught up with this process's start.
    await waitForLog(ctx.daemon, plugin.name, 0, (l) => servingPid(l) === pid, `"plugin serving" with pid ${pid}`, LOG_MS);
    record.fromSeq = ctx.daemon.seq;
    record.atMs = Date.now() - ctx.t0;
    await INJECTORS[kind](ctx, record, plugin);
  } catch (error) {
    if (error instanceof TargetGone) return undefined;
    record.outcome = error instanceof WaitTimeout ? 'timeout' : 'error';
    record.notes.push((error as Error).message);
  }
  record.toSeq = ctx.daemon.seq;
  record.durationMs = performance.now() - t0;
  return record;
}

// ---- resolution ------------------------------------------------------------

/** Once the API says `status`, waits for the log to say it too and records the outcome. */
async function settle(ctx: FaultContext, record: FaultRecord, status: PluginStatus): Promise<void> {
  const { daemon } = ctx;
  if (status.state === 'serving' && status.pid !== null) {
    const pid = status.pid;
    ctx.tracker.track(pid, `plugin ${record.plugin}`);
    const started = await waitForLog(daemon, record.plugin, record.fromSeq, (l) => servingPid(l) === pid, `"plugin serving" with pid ${pid}`, LOG_MS);
    await waitForLog(
      daemon,
      record.plugin,
      started.seq,
      (l) => transition(l)?.to === 'serving',
      `the transition to serving of pid ${pid}`,
      LOG_MS,
    );
    record.newPid = pid;
    record.outcome = 'serving';
    return;
  }
  if (status.state === 'failed') {
    await waitForLog(daemon, record.plugin, record.fromSeq, (l) => transition(l)?.to === 'failed', 'the transition to failed', LOG_MS);
    record.newPid = null;
    record.outcome = 'failed';
    return;
  }
  throw new Error(`${record.plugin} settled in an unexpected state: ${describePlugin(status)}`);
}

/** A failed plugin: left failed (parked), or loaded again with the CLI as an operator would. */
async function parkOrReload(ctx: FaultContext, record: FaultRecord): Promise<void> {
  if (record.outcome !== 'failed') return;
  if (ctx.park(record.plugin)) {
    record.outcome = 'parked';
    return;
  }
  const result = await runCli(['plugins', 'load', record.plugin, '--json', '--socket', ctx.run.socket]);
  if (result.code !== 0) throw new Error(`snoozebot plugins load ${record.plugin} exited ${result.code}: ${result.stderr.trim()}`);
  const status = await waitServingOrFailed(ctx.daemon, record.plugin, null, RESOLVE_MS);
  if (status.state !== 'serving') throw new Error(`${record.plugin} did not serve after plugins load: ${describePlugin(status)}`);
  record.reloaded = true;
  await settle(ctx, record, status);
}

/** The target process is gone; a hung one is killed here so nothing stays stopped, but the fault says so. */
async function checkGone(record: FaultRecord): Promise<void> {
  const gone = await waitGone(targetOf(record), GONE_MS);
  record.processGone = (record.processGone ?? true) && gone;
  if (!gone) {
    record.notes.push(`process ${record.pid} (state ${procInfo(record.pid)?.state}) still there ${GONE_MS} ms after the daemon moved on; killed by the soak`);
    try {
      process.kill(record.pid, 'SIGKILL');
    } catch {
      // gone after all
    }
  }
}

/** After a crash: serving with a new process, or failed (then parked or reloaded). */
async function afterCrash(ctx: FaultContext, record: FaultRecord): Promise<void> {
  const status = await waitServingOrFailed(ctx.daemon, record.plugin, record.pid, RESOLVE_MS);
  await checkGone(record);
  await settle(ctx, record, status);
  await parkOrReload(ctx, record);
}

// ---- the faults --------------------------------------------------------------

async function kill9(ctx: FaultContext, record: FaultRecord): Promise<void> {
  record.expectedExit = { code: null, signal: 'SIGKILL' };
  hit(record, 'SIGKILL');
  await afterCrash(ctx, record);
}

async function hang(ctx: FaultContext, record: FaultRecord): Promise<void> {
  hit(record, 'SIGSTOP');
  await afterCrash(ctx, record);
}

async function exit(ctx: FaultContext, record: FaultRecord, plugin: SoakPlugin): Promise<void> {
  const { random } = ctx;
  if (plugin.kind === 'chaos') {
    const code = random.int(0, 255);
    record.expectedExit = { code, signal: null };
    await command(ctx, record, { id: chaosCommandId(), action: 'exit', code });
  } else if (plugin.kind === 'local') {
    // The SDK exits 0 on both: a clean exit nobody asked for is still a crash.
    const signal = random.pick(['SIGTERM', 'SIGHUP'] as const);
    record.expectedExit = { code: 0, signal: null };
    record.sent = signal;
    hit(record, signal);
  } else {
    // Go's runtime dumps its goroutines on SIGQUIT and exits 2; go-plugin 1.0 leaves SIGTERM and SIGHUP to their default.
    const signal = random.pick(['SIGQUIT', 'SIGTERM', 'SIGHUP'] as const);
    record.expectedExit = signal === 'SIGQUIT' ? { code: 2, signal: null } : { code: null, signal };
    record.sent = signal;
    hit(record, signal);
  }
  await afterCrash(ctx, record);
}

async function callCrash(ctx: FaultContext, record: FaultRecord): Promise<void> {
  const code = ctx.random.int(0, 255);
  record.expectedExit = { code, signal: null };
  const id = chaosCommandId();
  await command(ctx, record, { id, action: 'die-in-call', code });
  await chaosAck(ctx.run.controlDir, record.pid, id, LOG_MS);
  const answer = await apiRequest(ctx.run.socket, 'GET', `/v1/instance?plugin=${encodeURIComponent(record.plugin)}`, 60_000);
  let error: { code?: string; message?: string } | undefined;
  if (answer.status !== 200) {
    try {
      error = (JSON.parse(answer.body) as { error?: { code?: string; message?: string } }).error;
    } catch {
      error = { message: answer.body.slice(0, 300) };
    }
  }
  record.callAnswer = { status: answer.status, code: error?.code, message: error?.message };
  await afterCrash(ctx, record);
}

async function children(ctx: FaultContext, record: FaultRecord): Promise<void> {
  const id = chaosCommandId();
  await command(ctx, record, { id, action: 'fork' });
  const ack = await chaosAck(ctx.run.controlDir, record.pid, id, LOG_MS);
  const child = ack.childPid === undefined ? undefined : procInfo(ack.childPid);
  if (ack.childPid === undefined || child === undefined) throw new Error(`the chaos plugin's child ${ack.childPid} is not running`);
  record.childPid = child.pid;
  record.childStartTime = child.startTime;
  ctx.tracker.track(child.pid, `child of ${record.plugin} (pid ${record.pid})`);
  if (ctx.random.chance(0.5)) {
    record.expectedExit = { code: null, signal: 'SIGKILL' };
    process.kill(record.pid, 'SIGKILL');
  } else {
    const code = ctx.random.int(0, 255);
    record.expectedExit = { code, signal: null };
    await sendChaos(ctx.run.controlDir, record.pid, { id: chaosCommandId(), action: 'exit', code });
  }
  await afterCrash(ctx, record);
  const childGone = await waitGone(child, GONE_MS);
  record.processGone = (record.processGone ?? true) && childGone;
  if (!childGone) {
    record.notes.push(`child ${child.pid} of the dead plugin is still running; killed by the soak`);
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone after all
    }
  }
}

/** Waits for `process` to be gone; one that is not is a leftover: noted, and killed by the soak. */
async function childGone(record: FaultRecord, process_: { pid: number; startTime: number }, what: string): Promise<void> {
  const gone = await waitGone(process_, GONE_MS);
  record.processGone = (record.processGone ?? true) && gone;
  if (!gone) {
    record.notes.push(`${what} ${process_.pid} of the ended plugin is still running; killed by the soak`);
    try {
      process.kill(process_.pid, 'SIGKILL');
    } catch {
      // gone after all
    }
  }
}

/**
 * A lifecycle command as an operator runs it. It waits for the plugin to
 * serve; when the new process fails to start (the daemon then treats that as
 * a crash and restarts it), the command fails but the fault is not over:
 * that is noted, and the caller waits for the daemon's own outcome.
 */
async function cli(ctx: FaultContext, record: FaultRecord, ...args: string[]): Promise<void> {
  const result = await runCli([...args, '--json', '--socket', ctx.run.socket]);
  if (result.code === 0) return;
  if (result.code === 1 && /did not serve within|failed to start|is not serving|plugin \S+ failed: /.test(result.stderr)) {
    record.notes.push(`snoozebot ${args.join(' ')}: ${result.stderr.trim().slice(0, 200)}`);
    return;
  }
  throw new Error(`snoozebot ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
}

/**
 * A plugin with a setsid() child and a child in its group, both ignoring
 * SIGTERM, ended by unload (then loaded again), restart or kill -9: neither
 * child may outlive it. Drawn only when the daemon has cgroup containment.
 */
async function escape(ctx: FaultContext, record: FaultRecord): Promise<void> {
  const id = chaosCommandId();
  await command(ctx, record, { id, action: 'escape' });
  const ack = await chaosAck(ctx.run.controlDir, record.pid, id, LOG_MS);
  const child = ack.childPid === undefined ? undefined : procInfo(ack.childPid);
  const escaped = ack.escapedPid === undefined ? undefined : procInfo(ack.escapedPid);
  if (child === undefined || escaped === undefined) throw new Error(`the chaos plugin's children ${ack.childPid} and ${ack.escapedPid} are not both running`);
  record.childPid = child.pid;
  record.childStartTime = child.startTime;
  record.escapedPid = escaped.pid;
  record.escapedStartTime = escaped.startTime;
  ctx.tracker.track(child.pid, `child of ${record.plugin} (pid ${record.pid})`);
  ctx.tracker.track(escaped.pid, `setsid child of ${record.plugin} (pid ${record.pid})`);
  const ending = ctx.random.pick(['unload', 'restart', 'kill9'] as const);
  record.ending = ending;
  if (ending === 'kill9') {
    record.expectedExit = { code: null, signal: 'SIGKILL' };
    process.kill(record.pid, 'SIGKILL');
    await afterCrash(ctx, record);
  } else {
    if (ending === 'unload') {
      await cli(ctx, record, 'plugins', 'unload', record.plugin);
      await checkGone(record);
      await childGone(record, child, 'child');
      await childGone(record, escaped, 'setsid child');
      await cli(ctx, record, 'plugins', 'load', record.plugin);
    } else {
      await cli(ctx, record, 'plugins', 'restart', record.plugin);
    }
    const status = await waitServingOrFailed(ctx.daemon, record.plugin, record.pid, RESOLVE_MS);
    await checkGone(record);
    await settle(ctx, record, status);
    await parkOrReload(ctx, record);
  }
  await childGone(record, child, 'child');
  await childGone(record, escaped, 'setsid child');
}

async function flood(ctx: FaultContext, record: FaultRecord): Promise<void> {
  const { floodLines: lines, floodLongBytes: longBytes } = ctx.options;
  const id = chaosCommandId();
  record.floodId = id;
  await command(ctx, record, { id, action: 'flood', lines, longBytes });
  // A plugin flooding from its event loop can miss the soak's fast health checks on a loaded machine;
  // the daemon then ends it as unresponsive before it can answer.
  const ack = await chaosAck(ctx.run.controlDir, record.pid, id, 60_000, () => isAlive(targetOf(record)));
  if (ack === undefined) {
    record.notes.push('the plugin was ended before it finished flooding');
    await afterCrash(ctx, record);
    return;
  }
  // stdout and stderr are separate pipes: the end marker (stderr) can overtake stdout lines.
  // Past the daemon's rate limit, lines are counted instead of logged; the count comes within a second.
  try {
    await waitUntil(
      () => {
        const seen = ctx.daemon.floods.get(id);
        const logged = (seen?.stdoutLines ?? 0) + (seen?.stderrLines ?? 0);
        return logged + ctx.daemon.droppedLines(record.plugin, record.fromSeq) >= 2 * lines;
      },
      `flood ${id} in the log`,
      LOG_MS,
      20,
    );
  } catch (error) {
    record.notes.push((error as Error).message);
  }
  const status = await waitForPlugin(ctx.daemon, record.plugin, () => true, 'an answer', LOG_MS);
  if (status?.state === 'serving' && status.pid === record.pid) {
    record.newPid = record.pid;
    record.outcome = 'serving';
    return;
  }
  record.notes.push(`the flood cost the plugin its process: ${describePlugin(status)}`);
  await afterCrash(ctx, record);
}

/**
 * Puts the good binary back and waits for the daemon to take it in: a
 * transition for "binary replaced" after the swap (a plugin that was failed
 * still is until the daemon has seen the new file, so its state alone says
 * nothing yet).
 */
async function putBack(ctx: FaultContext, record: FaultRecord): Promise<void> {
  const mark = ctx.daemon.seq;
  await ctx.run.installGood(record.plugin);
  await waitForLog(
    ctx.daemon,
    record.plugin,
    mark,
    (l) => transition(l)?.reason === 'binary replaced',
    'a "binary replaced" transition once the good binary was put back (the directory watcher missed the swap?)',
    LOG_MS,
  );
}

/** Puts the good binary back unless it already is; for finally blocks. */
async function restoreGood(ctx: FaultContext, name: string, restored: boolean): Promise<void> {
  if (!restored) await ctx.run.installGood(name);
}

function badStart(bad: Exclude<BadBinary, 'start-flood'>) {
  return async (ctx: FaultContext, record: FaultRecord): Promise<void> => {
    let restored = false;
    try {
      await ctx.run.installBad(record.plugin, bad);
      const timeout = (bad === 'late' ? START_TIMEOUT_MS : 0) + 15_000;
      await waitForLog(
        ctx.daemon,
        record.plugin,
        record.fromSeq,
        (l) => {
          const t = transition(l);
          return t?.to === 'crashed' && BAD_START_REASON[bad].test(t.reason);
        },
        `a crash matching ${BAD_START_REASON[bad]}`,
        timeout,
      );
      await checkGone(record);
      if (ctx.random.chance(0.4)) {
        record.waitedForFailed = true;
        await waitForPlugin(ctx.daemon, record.plugin, (p) => p?.state === 'failed', 'failed', RESOLVE_MS);
      }
      restored = true;
      await putBack(ctx, record);
      const status = await waitServingOrFailed(ctx.daemon, record.plugin, record.pid, RESOLVE_MS);
      if (status.state !== 'serving') record.notes.push(`did not serve again with its good binary back: ${describePlugin(status)}`);
      await settle(ctx, record, status);
      await parkOrReload(ctx, record);
    } finally {
      await restoreGood(ctx, record.plugin, restored);
    }
  };
}

async function startFlood(ctx: FaultContext, record: FaultRecord): Promise<void> {
  let restored = false;
  const before = ctx.daemon.startNoise.get(record.plugin) ?? 0;
  try {
    await ctx.run.installBad(record.plugin, 'start-flood');
    const wrapped = await waitServingOrFailed(ctx.daemon, record.plugin, record.pid, RESOLVE_MS);
    if (wrapped.state !== 'serving' || wrapped.pid === null) throw new Error(`did not serve behind the flooding wrapper: ${describePlugin(wrapped)}`);
    const wrapper = procInfo(wrapped.pid);
    ctx.tracker.track(wrapped.pid, `start-flood wrapper of ${record.plugin}`);
    await checkGone(record);
    await settle(ctx, record, wrapped);
    try {
      // Logged, or counted by the daemon's rate limit (its report comes within a second).
      const accounted = () =>
        (ctx.daemon.startNoise.get(record.plugin) ?? 0) - before + ctx.daemon.droppedLines(record.plugin, record.fromSeq);
      await waitUntil(() => accounted() >= ctx.options.startNoiseLines, 'the wrapper noise in the log', LOG_MS, 20);
    } catch (error) {
      record.notes.push((error as Error).message);
    }
    record.noiseLines = (ctx.daemon.startNoise.get(record.plugin) ?? 0) - before;
    restored = true;
    await putBack(ctx, record);
    const status = await waitServingOrFailed(ctx.daemon, record.plugin, wrapped.pid, RESOLVE_MS);
    if (wrapper !== undefined && !(await waitGone(wrapper, GONE_MS))) {
      record.processGone = false;
      record.notes.push(`the wrapper's process ${wrapper.pid} is still running after the good binary came back`);
    }
    await settle(ctx, record, status);
    await parkOrReload(ctx, record);
  } finally {
    await restoreGood(ctx, record.plugin, restored);
  }
}

async function removed(ctx: FaultContext, record: FaultRecord): Promise<void> {
  let restored = false;
  await ctx.load.block(record.plugin);
  try {
    await ctx.run.removePlugin(record.plugin);
    await waitForPlugin(ctx.daemon, record.plugin, (p) => p === undefined, 'removal from the plugin list', RESOLVE_MS);
    await checkGone(record);
    await ctx.run.installGood(record.plugin);
    restored = true;
    const status = await waitForPlugin(
      ctx.daemon,
      record.plugin,
      (p) => p !== undefined && ((p.state === 'serving' && p.pid !== null) || p.state === 'failed'),
      'serving again once put back',
      RESOLVE_MS,
    );
    if (status === undefined) throw new Error(`${record.plugin} vanished`);
    await settle(ctx, record, status);
    await parkOrReload(ctx, record);
  } finally {
    await restoreGood(ctx, record.plugin, restored);
    ctx.load.unblock(record.plugin);
  }
}

async function crashLoop(ctx: FaultContext, record: FaultRecord): Promise<void> {
  record.expectedExit = { code: null, signal: 'SIGKILL' };
  hit(record, 'SIGKILL');
  let target = targetOf(record);
  let kills = 1;
  for (;;) {
    const status = await waitServingOrFailed(ctx.daemon, record.plugin, target.pid, RESOLVE_MS);
    if (!(await waitGone(target, GONE_MS))) {
      record.processGone = false;
      record.notes.push(`killed process ${target.pid} still there`);
    }
    if (status.state === 'failed' || status.pid === null) break;
    if (kills >= MAX_LOOP_KILLS) {
      record.notes.push(`still restarted after ${kills} kills in a row`);
      break;
    }
    const next = procInfo(status.pid);
    ctx.tracker.track(status.pid, `plugin ${record.plugin}`);
    target = { pid: status.pid, startTime: next?.startTime ?? -1 };
    // Gone already (it crashed by itself): the daemon restarts it, and the next round waits for that.
    if (next === undefined || !isAlive(target)) continue;
    process.kill(target.pid, 'SIGKILL');
    kills += 1;
  }
  record.kills = kills;
  const status = await waitServingOrFailed(ctx.daemon, record.plugin, target.pid, RESOLVE_MS);
  await settle(ctx, record, status);
  await parkOrReload(ctx, record);
}

const INJECTORS: Readonly<Record<FaultKind, Injector>> = {
  kill9,
  hang,
  exit,
  'call-crash': callCrash,
  children,
  escape,
  flood,
  'garbage-handshake': badStart('garbage'),
  'late-handshake': badStart('late'),
  'handshake-flood': badStart('handshake-flood'),
  'start-flood': startFlood,
  removed,
  'crash-loop': crashLoop,
};
