// Our TypeScript host (src/host/plugin-process.ts) driving a plugin in this
// very process: each cycle constructs a PluginProcess, then times
// start() + the first apiVersion() answer, a series of apiVersion() calls,
// and stop(). The same shape as a gohost cycle, so the two compare.
import { create } from '@bufbuild/protobuf';
import { Client, Metadata, credentials } from '@grpc/grpc-js';
import pino from 'pino';
import { GetAPIVersionRequestSchema } from '../src/gen/plugin/cloud_provider_pb.js';
import { channelTarget } from '../src/host/connection.js';
import { PluginProcess } from '../src/host/plugin-process.js';
import type { Handshake } from '../src/handshake/index.js';
import { cloudProviderService } from '../src/wire/services.js';

const logger = pino({ level: 'silent' });

export interface TsHostSamples {
  startToFirstRpc: number[];
  /** Timed apiVersion() calls, after the warm-up calls of each cycle. */
  rpc: number[];
  stop: number[];
  cycles: number;
  /** How the plugin processes ended after stop(): "code 0", "SIGTERM", … → count. */
  exits: Record<string, number>;
  /** grpc-js alone, without our host: a new channel to the same plugin → its first GetAPIVersion answer (the floor of f). */
  rawFirst: number[];
  /** grpc-js alone: GetAPIVersion on that ready channel (the floor of g). */
  rawRpc: number[];
}

export interface TsHostCycleOptions {
  /** apiVersion() calls after the first, not timed. */
  readonly warmupRpcs: number;
  /** apiVersion() calls timed one by one. */
  readonly timedRpcs: number;
  /** Also time bare grpc-js calls to the plugin (rawFirst, rawRpc), as many as timedRpcs. */
  readonly raw?: boolean;
}

export function emptyTsHostSamples(): TsHostSamples {
  return { startToFirstRpc: [], rpc: [], stop: [], cycles: 0, exits: {}, rawFirst: [], rawRpc: [] };
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

    if (options.raw === true && plugin.handshake !== undefined) await rawCalls(into, plugin.handshake, options.timedRpcs);

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

/** What grpc-js costs by itself: the same calls with a bare Client (no delivery check, no error mapping, no deadline bookkeeping). */
async function rawCalls(into: TsHostSamples, handshake: Handshake, count: number): Promise<void> {
  const method = cloudProviderService.getAPIVersion;
  const request = create(GetAPIVersionRequestSchema);
  const client = new Client(channelTarget(handshake), credentials.createInsecure(), { 'grpc.enable_retries': 0, 'grpc.enable_channelz': 0 });
  const call = () =>
    new Promise<void>((resolve, reject) => {
      client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new Metadata(), { deadline: Date.now() + 5_000 }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  try {
    const t0 = now();
    await call();
    into.rawFirst.push(Number(now() - t0));
    for (let i = 0; i < count; i++) {
      const t = now();
      await call();
      into.rawRpc.push(Number(now() - t));
    }
  } finally {
    client.close();
  }
}
