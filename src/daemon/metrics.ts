// Prometheus metrics of the daemon, served by the API at GET /metrics.
//
//   snoozebot_plugin_state{plugin,state}   gauge: 1 for the plugin's current state, 0 for every other
//                                          state (all states are always present, so
//                                          `snoozebot_plugin_state{state="failed"} == 1` is an alert rule)
//   snoozebot_plugin_up{plugin}            gauge: 1 while serving, else 0
//   snoozebot_plugin_restarts_total{plugin}                   counter: restarts after crashes
//   snoozebot_plugin_rpc_duration_seconds{plugin,method,outcome} histogram of CloudProvider calls
//   snoozebot_idle_phase{phase}            gauge: 1 for the idle monitor's phase, 0 for the others
//   snoozebot_idle_seconds                 gauge: how long the machine has been idle (0 while busy)
//   snoozebot_idle_stop_at_seconds         gauge: epoch seconds the machine would stop; 0 when it would not
//   snoozebot_idle_signal_value{signal}    gauge: latest sample of each signal (absent when unreadable)
//   snoozebot_idle_signal_threshold{signal} gauge: its threshold (absent when the signal is ignored)
//   snoozebot_idle_signal_busy{signal}     gauge: 1 when the signal is over its threshold
//   snoozebot_idle_stops_total{outcome}    counter: stops by the idle monitor (stopped, dry-run, failed)
//   plus prom-client's default process_* and nodejs_* metrics.
//
// The idle gauges are read from the monitor's status when /metrics is
// scraped, so sampling costs nothing extra.
//
// Each createMetrics() has its own Registry, so tests and several daemons in
// one process do not share series.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IdlePhase, IdleStatus, StopOutcome } from './idle/status.js';
import type { PluginState } from './types.js';

/** Every PluginState; the Record type makes the compiler flag a state added to types.ts but missing here. */
const STATE_SET: Readonly<Record<PluginState, true>> = {
  discovered: true,
  starting: true,
  serving: true,
  stopping: true,
  stopped: true,
  crashed: true,
  backoff: true,
  failed: true,
  refused: true,
};
export const PLUGIN_STATES = Object.keys(STATE_SET) as readonly PluginState[];

const IDLE_PHASE_SET: Readonly<Record<IdlePhase, true>> = {
  disabled: true,
  starting: true,
  busy: true,
  idle: true,
  announced: true,
  stopping: true,
  stopped: true,
  failed: true,
};
export const IDLE_PHASES = Object.keys(IDLE_PHASE_SET) as readonly IdlePhase[];

/** From 0.5 ms (a local health check) to 5 s (a cloud API stopping an instance). */
export const RPC_BUCKETS_SECONDS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** 'ok' for an answer, 'error' for a failed call; other short words (e.g. 'timeout') are allowed. */
export type RpcOutcome = 'ok' | 'error' | (string & {});

export interface Metrics {
  readonly registry: Registry;
  /** The Content-Type of text(): Prometheus text format 0.0.4. */
  readonly contentType: string;
  /** The exposition text for GET /metrics. */
  text(): Promise<string>;
  /** Sets the plugin's state gauge (1 for `state`, 0 for the others) and its up gauge. */
  observePluginState(plugin: string, state: PluginState): void;
  /** One restart after a crash. */
  countRestart(plugin: string): void;
  /** One CloudProvider call and how long it took. */
  observeRpc(plugin: string, method: string, outcome: RpcOutcome, seconds: number): void;
  /** Drops every series of a plugin that is gone from the plugins directory. */
  removePlugin(plugin: string): void;
  /** Where the idle gauges read from at scrape time. */
  bindIdle(status: () => IdleStatus): void;
  /** One stop by the idle monitor. */
  countIdleStop(outcome: StopOutcome['outcome']): void;
  /** Where the per-plugin memory gauge reads from at scrape time: bytes by plugin, null for one with no process. */
  bindPluginMemory(memory: () => ReadonlyArray<{ readonly name: string; readonly memoryBytes: number | null }>): void;
}

/** How often the event-loop delay histogram (nodejs_eventloop_lag_*) takes a sample. */
export const EVENT_LOOP_SAMPLE_MS = 1_000;

export interface MetricsOptions {
  /** prom-client's default process and Node.js metrics; on unless false. */
  readonly defaultMetrics?: boolean;
}

/**
 * The returned functions do not use `this`; they can be passed around on
 * their own (`const { observeRpc } = metrics`).
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  // prom-client samples the event loop's delay with a timer, every 10 ms by
  // default: 100 wake-ups a second, most of what an idle daemon cost in CPU
  // (issue 16). Once a second still shows a stalled loop in the lag figures.
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });

  const state = new Gauge({
    name: 'snoozebot_plugin_state',
    help: 'Current state of each plugin: 1 for the state it is in, 0 for the others',
    labelNames: ['plugin', 'state'] as const,
    registers: [registry],
  });
  const up = new Gauge({
    name: 'snoozebot_plugin_up',
    help: 'Whether the plugin is serving (1) or not (0)',
    labelNames: ['plugin'] as const,
    registers: [registry],
  });
  const restarts = new Counter({
    name: 'snoozebot_plugin_restarts_total',
    help: 'Restarts of the plugin after a crash or failed health checks',
    labelNames: ['plugin'] as const,
    registers: [registry],
  });
  const rpc = new Histogram({
    name: 'snoozebot_plugin_rpc_duration_seconds',
    help: 'Duration of CloudProvider calls to the plugin, by method and outcome',
    labelNames: ['plugin', 'method', 'outcome'] as const,
    buckets: [...RPC_BUCKETS_SECONDS],
    registers: [registry],
  });

  let idleStatus: (() => IdleStatus) | undefined;
  const idle = (name: string, help: string, labelNames: readonly string[], collect: (gauge: Gauge<string>, status: IdleStatus) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        const status = idleStatus?.();
        if (status === undefined) return;
        this.reset();
        collect(this, status);
      },
    });
  idle('snoozebot_idle_phase', "The idle monitor's phase: 1 for the current one, 0 for the others", ['phase'], (g, s) => {
    for (const phase of IDLE_PHASES) g.set({ phase }, phase === s.phase ? 1 : 0);
  });
  idle('snoozebot_idle_seconds', 'How long the machine has been idle, in seconds (0 while busy)', [], (g, s) => g.set(s.idleSeconds));
  idle('snoozebot_idle_stop_at_seconds', 'When the machine would stop (epoch seconds); 0 when it would not', [], (g, s) =>
    g.set(s.stopAt === null ? 0 : Date.parse(s.stopAt) / 1000),
  );
  idle('snoozebot_idle_signal_value', 'Latest sample of each idle signal', ['signal'], (g, s) => {
    for (const r of s.signals) if (r.value !== null) g.set({ signal: r.signal }, r.value);
  });
  idle('snoozebot_idle_signal_threshold', "Each idle signal's threshold", ['signal'], (g, s) => {
    for (const r of s.signals) if (r.threshold !== null) g.set({ signal: r.signal }, r.threshold);
  });
  idle('snoozebot_idle_signal_busy', 'Whether each idle signal is over its threshold (1) or not (0)', ['signal'], (g, s) => {
    for (const r of s.signals) g.set({ signal: r.signal }, r.busy ? 1 : 0);
  });
  const idleStops = new Counter({
    name: 'snoozebot_idle_stops_total',
    help: 'Stops by the idle monitor, by outcome (stopped, dry-run, failed)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });

  let pluginMemory: (() => ReadonlyArray<{ readonly name: string; readonly memoryBytes: number | null }>) | undefined;
  new Gauge({
    name: 'snoozebot_plugin_memory_bytes',
    help: "Memory of each running plugin and everything it started: its cgroup's memory.current, else the sum of their RSS",
    labelNames: ['plugin'] as const,
    registers: [registry],
    collect() {
      if (pluginMemory === undefined) return;
      // Read at scrape time; a plugin without a process has no series.
      this.reset();
      for (const p of pluginMemory()) if (p.memoryBytes !== null) this.set({ plugin: p.name }, p.memoryBytes);
    },
  });

  // The (method, outcome) pairs seen per plugin, so removePlugin can drop them
  // (prom-client removes histogram series by their full label set only).
  const rpcSeries = new Map<string, Set<string>>();

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    observePluginState(plugin, current) {
      for (const s of PLUGIN_STATES) state.set({ plugin, state: s }, s === current ? 1 : 0);
      up.set({ plugin }, current === 'serving' ? 1 : 0);
    },
    countRestart(plugin) {
      restarts.inc({ plugin });
    },
    observeRpc(plugin, method, outcome, seconds) {
      if (!Number.isFinite(seconds) || seconds < 0) return; // a clock oddity must not throw into a plugin call
      rpc.observe({ plugin, method, outcome }, seconds);
      let seen = rpcSeries.get(plugin);
      if (seen === undefined) rpcSeries.set(plugin, (seen = new Set()));
      seen.add(`${method}\0${outcome}`);
    },
    removePlugin(plugin) {
      for (const s of PLUGIN_STATES) state.remove({ plugin, state: s });
      up.remove({ plugin });
      restarts.remove({ plugin });
      for (const key of rpcSeries.get(plugin) ?? []) {
        const [method = '', outcome = ''] = key.split('\0');
        rpc.remove({ plugin, method, outcome });
      }
      rpcSeries.delete(plugin);
    },
    bindIdle(status) {
      idleStatus = status;
    },
    countIdleStop(outcome) {
      idleStops.inc({ outcome });
    },
    bindPluginMemory(memory) {
      pluginMemory = memory;
    },
  };
}
