// The plugin author's doctor: starts one plugin binary the way a host would,
// records every step of the protocol with its timing, and always stops it.
// The first failing step ends the run and carries the reason.
import { execa } from 'execa';
import type { Logger } from 'pino';
import { MAGIC_COOKIE_KEY } from '../handshake/index.js';
import { HostError, describeHostError } from './errors.js';
import { PluginProcess } from './plugin-process.js';
import type { PluginProcessOptions } from './options.js';

export interface DiagnosisStep {
  readonly step: string;
  readonly ok: boolean;
  /** Milliseconds the step took. */
  readonly ms: number;
  readonly detail: string;
  /** A finding that does not stop a host from using the plugin. */
  readonly warning?: boolean;
}

export interface Diagnosis {
  readonly ok: boolean;
  readonly path: string;
  readonly steps: readonly DiagnosisStep[];
  readonly error?: { readonly code: string; readonly message: string };
}

const COOKIE_PROBE_TIMEOUT_MS = 5_000;

export async function diagnosePlugin(
  options: Pick<PluginProcessOptions, 'path' | 'autoMtls' | 'startTimeoutMs' | 'env' | 'sha256'> & { logger: Logger },
): Promise<Diagnosis> {
  const steps: DiagnosisStep[] = [];
  const timed = async <T>(step: string, run: () => Promise<T>, detail: (value: T) => string): Promise<T> => {
    const t0 = performance.now();
    const value = await run();
    steps.push({ step, ok: true, ms: round(performance.now() - t0), detail: detail(value) });
    return value;
  };

  await probeWithoutCookie(options.path, steps);
  const plugin = new PluginProcess({ ...options, name: 'check' });
  try {
    await plugin.start();
    const timings = plugin.timings;
    const handshake = plugin.handshake;
    if (timings === undefined || handshake === undefined) throw new Error('plugin started without a handshake');
    steps.push({ step: 'spawn', ok: true, ms: timings.spawnedMs, detail: `pid ${plugin.pid}` });
    steps.push({
      step: 'handshake',
      ok: true,
      ms: round(timings.handshakeMs - timings.spawnedMs),
      detail: `core ${handshake.coreVersion}, app version ${handshake.appVersion}, ${handshake.protocol}`,
    });
    steps.push({
      step: 'address',
      ok: true,
      ms: 0,
      detail: `${handshake.network} ${handshake.address} (${handshake.network === 'unix' ? 'inside the socket directory made for this start' : 'loopback, in the offered port range'})`,
    });
    steps.push({
      step: 'tls',
      ok: true,
      ms: 0,
      detail: handshake.serverCert === undefined ? 'off (plain gRPC on a private socket)' : 'AutoMTLS: plugin certificate received',
    });
    steps.push({ step: 'health', ok: true, ms: round(timings.servingMs - timings.handshakeMs), detail: 'service "plugin" SERVING' });
    const client = plugin.client;
    await timed('provider', async () => [await client.providerName(), await client.providerVersion()] as const, ([n, v]) => `${n} ${v}`);
    await timed('api version', () => client.apiVersion(), (v) => v);
    await timed('instance info', () => client.instanceInfo(), (i) => `${i.id} ${i.name} (${i.type}) ${i.region}/${i.zone} ${i.state}`);
    await timed('stop', () => plugin.stop(), () => describeExitInfo(plugin));
    return { ok: true, path: options.path, steps };
  } catch (error) {
    const failure = error instanceof HostError ? error : undefined;
    const message = failure ? describeHostError(failure) : error instanceof Error ? error.message : String(error);
    steps.push({ step: failedStep(steps, plugin, error), ok: false, ms: 0, detail: message });
    return { ok: false, path: options.path, steps, error: { code: failure?.code ?? 'CHECK_FAILED', message } };
  } finally {
    await plugin.stop();
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function describeExitInfo(plugin: PluginProcess): string {
  const exit = plugin.exitInfo;
  if (exit === undefined) return 'stopped';
  return exit.signal === null ? `exited with code ${exit.code} after GRPCController.Shutdown` : `killed by ${exit.signal}`;
}

/** The steps up to health are only recorded once start() succeeds; a failed start is placed by how far the plugin got. */
function failedStep(steps: readonly DiagnosisStep[], plugin: PluginProcess, error: unknown): string {
  if (plugin.timings !== undefined) return nextStep(steps);
  if (error instanceof HostError && error.code === 'PLUGIN_ADDRESS') return 'address';
  if (plugin.pid === undefined) return 'spawn';
  return plugin.handshake === undefined ? 'handshake' : 'health';
}

function nextStep(steps: readonly DiagnosisStep[]): string {
  const names = ['spawn', 'handshake', 'address', 'tls', 'health', 'provider', 'api version', 'instance info', 'stop'];
  const done = new Set(steps.map((s) => s.step));
  return names.find((name) => !done.has(name)) ?? 'check';
}

/** go-plugin plugins refuse to run without the host's cookie; one that does not may be started by mistake. */
async function probeWithoutCookie(path: string, steps: DiagnosisStep[]): Promise<void> {
  const t0 = performance.now();
  const env: Record<string, string | undefined> = { ...process.env };
  delete env[MAGIC_COOKIE_KEY];
  const result = await execa(path, [], {
    env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    timeout: COOKIE_PROBE_TIMEOUT_MS,
    maxBuffer: 64 * 1024,
    killSignal: 'SIGKILL',
  });
  const ms = round(performance.now() - t0);
  if (result.exitCode === 1 && result.stdout === '') {
    steps.push({ step: 'cookie', ok: true, ms, detail: `refuses to run without ${MAGIC_COOKIE_KEY} (exit 1)` });
  } else {
    const what = result.timedOut ? 'kept running' : `exited with ${result.exitCode ?? result.signal}`;
    steps.push({
      step: 'cookie',
      ok: true,
      warning: true,
      ms,
      detail: `without ${MAGIC_COOKIE_KEY} it ${what}${result.stdout ? ' and printed to stdout' : ''}; go-plugin plugins print a notice and exit 1`,
    });
  }
}
