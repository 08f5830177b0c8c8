// Our TypeScript host (src/host/plugin-process.ts) driving a plugin in this
// very process: each cycle constructs a PluginProcess, then times
// start() + the first apiVersion() answer, a series of apiVersion() calls,
// and stop(). The same shape as a gohost cycle, so the two compare.
import pino from 'pino';
import { PluginProcess } from '../src/host/plugin-process.js';

const logger = pino({ level: 'silent' });

export interface TsHostSamples {
  startToFirstRpc: number[];
  /** Timed apiVersion() calls, after the warm-up calls of each cycle. */
  rpc: number[];
  stop: number[];
  cycles: number;
  /** How the plugin processes ended after stop(): "code 0", "SIGTERM", … → count. */
  exits: Record<string, number>;
}

export interface TsHostCycleOptions {
  /** apiVersion() calls after the first, not timed. */
  readonly warmupRpcs: number;
  /** apiVersion() calls timed one by one. */
  readonly timedRpcs: number;
}

export function emptyTsHostSamples(): TsHostSamples {
  return { startToFirstRpc: [], rpc: [], stop: [], cycles: 0, exits: {} };
}

function now(): bigint {
  return process.hrtime.bigint();
}

/** One start → calls → stop cycle; its samples are appended to `into`. */
export async function runTsHostCycleInto(into: TsHostSamples, pluginPath: string, options: TsHostCycleOptions): Promise<void> {
  const plugin = new PluginProcess({ path: pluginPath, logger });
  let stopped = false;
  try {
    const t0 = now();
    await plugin.start();
    const client = plugin.client;
    await client.apiVersion();
    const startToFirstRpc = Number(now() - t0);

    for (let i = 0; i < options.warmupRpcs; i++) await client.apiVersion();
    const rpc: number[] = new Array<number>(options.timedRpcs);
    for (let i = 0; i < options.timedRpcs; i++) {
      const t = now();
      await client.apiVersion();
      rpc[i] = Number(now() - t);
    }

    const ts = now();
    stopped = true;
    await plugin.stop();
    const stop = Number(now() - ts);

    into.cycles++;
    into.startToFirstRpc.push(startToFirstRpc);
    for (const ns of rpc) into.rpc.push(ns);
    into.stop.push(stop);
    const exit = plugin.exitInfo;
    const how = exit === undefined ? 'unknown' : exit.signal !== null ? exit.signal : `code ${String(exit.code)}`;
    into.exits[how] = (into.exits[how] ?? 0) + 1;
  } finally {
    if (!stopped) await plugin.stop();
  }
}

export async function runTsHostCyclesInto(
  into: TsHostSamples,
  pluginPath: string,
  count: number,
  options: TsHostCycleOptions,
): Promise<void> {
  for (let i = 0; i < count; i++) await runTsHostCycleInto(into, pluginPath, options);
}
