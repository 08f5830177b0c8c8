// go-plugin's own host (gohost, test/interop/go/host) starting a plugin:
// each cycle is a fresh plugin process, timed by gohost itself from
// Client() to the first GetAPIVersion answer, then N timed GetAPIVersion
// calls, then Kill(). gohost prints one JSON report; here it is turned into
// flat sample arrays (ns).
import { runGoHost } from '../test/helpers/go.js';

export interface GoHostSamples {
  startToFirstRpc: number[];
  /** Timed GetAPIVersion calls, minus the first `skipRpcs` of each cycle. */
  rpc: number[];
  kill: number[];
  cycles: number;
  /** How the plugin processes ended after Kill(): "code 0", "signal", "force-killed" → count. */
  exits: Record<string, number>;
}

export interface GoHostRunOptions {
  readonly mtls?: boolean;
  readonly repeat: number;
  readonly rpcs: number;
  /** Warm-up calls at the start of each cycle left out of `rpc`. */
  readonly skipRpcs?: number;
}

export function emptyGoHostSamples(): GoHostSamples {
  return { startToFirstRpc: [], rpc: [], kill: [], cycles: 0, exits: {} };
}

/** One gohost process running `repeat` cycles; its samples are appended to `into`. */
export async function runGoHostInto(
  into: GoHostSamples,
  host: string,
  pluginPath: string,
  options: GoHostRunOptions,
): Promise<void> {
  const report = await runGoHost(host, pluginPath, {
    mtls: options.mtls ?? false,
    rpcs: options.rpcs,
    repeat: options.repeat,
    timeoutMs: 120_000,
  });
  if (report.cycles.length !== options.repeat) {
    throw new Error(`gohost reported ${report.cycles.length} cycles, expected ${options.repeat}`);
  }
  const skip = options.skipRpcs ?? 0;
  for (const cycle of report.cycles) {
    into.cycles++;
    into.startToFirstRpc.push(cycle.startToFirstRpcNs);
    into.kill.push(cycle.killNs);
    for (let i = skip; i < cycle.rpcNs.length; i++) into.rpc.push(cycle.rpcNs[i] as number);
    const how = !cycle.killedWithinGrace
      ? 'force-killed after 2 s'
      : cycle.exitCode === -1
        ? 'signal'
        : `code ${cycle.exitCode}`;
    into.exits[how] = (into.exits[how] ?? 0) + 1;
  }
}
