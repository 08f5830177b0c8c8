// The plugin author's doctor: starts one plugin binary the way a host would,
// records every step of the protocol with its timing, and always stops it.
// The first failing step ends the run and carries the reason. Every step has
// a time limit: the cookie probe its own (2 s, then the binary is killed),
// the start its handshake and health timeout, each call its deadline, the
// stop the host's stop sequence.
import type { Logger } from 'pino';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../handshake/index.js';
import { legacyLayoutMessage } from './cloud-provider-client.js';
import { probeWithoutCookie } from './cookie-probe.js';
import type { CookieProbe } from './cookie-probe.js';
import { HostError, describeHostError } from './errors.js';
import { incompatibleApi, readApiVersion } from './identity.js';
import { DEFAULTS } from './options.js';
import type { PluginProcessOptions } from './options.js';
import { PluginProcess } from './plugin-process.js';

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

export type DiagnoseOptions = Pick<PluginProcessOptions, 'path' | 'autoMtls' | 'startTimeoutMs' | 'env' | 'sha256'> & {
  readonly logger: Logger;
  /** Deadline of each call (provider, api version, instance info, list instances); default: the start timeout. */
  readonly callTimeoutMs?: number;
  /** How long the cookie probe may run before it is killed (default 2 s). */
  readonly probeLimitMs?: number;
};

const STEPS = ['cookie', 'spawn', 'handshake', 'address', 'tls', 'health', 'provider', 'api version', 'instance info', 'list instances', 'stop'];

interface Found {
  readonly detail: string;
  readonly warning?: boolean;
}

export async function diagnosePlugin(options: DiagnoseOptions): Promise<Diagnosis> {
  const steps: DiagnosisStep[] = [];
  const timed = async <T>(step: string, run: () => Promise<T>, found: (value: T) => Found): Promise<T> => {
    const t0 = performance.now();
    const value = await run();
    const { detail, warning } = found(value);
    steps.push({ step, ok: true, ms: round(performance.now() - t0), detail, ...(warning ? { warning } : {}) });
    return value;
  };
  const failed = (step: string, error: unknown, ms = 0): Diagnosis => {
    const failure = error instanceof HostError ? error : undefined;
    const message = failure ? describeHostError(failure) : error instanceof Error ? error.message : String(error);
    steps.push({ step, ok: false, ms, detail: message });
    return { ok: false, path: options.path, steps, error: { code: failure?.code ?? 'CHECK_FAILED', message } };
  };

  const probe = await probeWithoutCookie(options.path, options.probeLimitMs);
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULTS.startTimeoutMs;
  const plugin = new PluginProcess({ ...options, startTimeoutMs, callTimeoutMs: options.callTimeoutMs ?? startTimeoutMs });
  try {
    try {
      await plugin.start();
    } catch (error) {
      // Refused with the cookie as without it: the probe's refusal was not about our cookie.
      if (error instanceof HostError && error.code === 'PLUGIN_FOREIGN') return failed('cookie', error, probe.ms);
      const cookie = cookieStep(probe);
      if (cookie !== undefined) steps.push(cookie);
      return failed(failedStartStep(plugin, error), error);
    }
    const cookie = cookieStep(probe);
    if (cookie !== undefined) steps.push(cookie);
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
      detail: handshake.serverCert === undefined ? 'off (plain gRPC on a private socket)' : 'on (AutoMTLS): plugin certificate received',
    });
    steps.push({ step: 'health', ok: true, ms: round(timings.servingMs - timings.handshakeMs), detail: 'service "plugin" SERVING' });
    const client = plugin.client;
    await timed('provider', async () => [await client.providerName(), await client.providerVersion()] as const, ([n, v]) => ({
      detail: `${n} ${v}`,
    }));
    const api = await timed('api version', () => readApiVersion(client), (verdict) => ({
      detail: verdict.kind === 'unversioned' ? `${verdict.text}; it loads, as the Go snoozebot guide's plugins do` : verdict.text,
      ...(verdict.kind === 'unversioned' ? { warning: true } : {}),
    }));
    if (api.kind === 'incompatible') {
      steps.pop();
      throw incompatibleApi(plugin.name, api);
    }
    await timed('instance info', () => client.instanceInfo(), (i) => {
      const detail = `${i.id} ${i.name} (${i.type}) ${i.region}/${i.zone} ${i.state}`;
      return client.instanceLayout === 'legacy-flat' ? { detail: `${detail}; ${legacyLayoutMessage(plugin.name)}`, warning: true } : { detail };
    });
    await timed(
      'list instances',
      () =>
        client.listInstances().catch((error: unknown) => {
          if (error instanceof HostError && error.code === 'PLUGIN_UNSUPPORTED') return error;
          throw error;
        }),
      (answer) =>
        answer instanceof HostError
          ? { detail: `${answer.message} (older builds lack it): \`instance list\` answers PLUGIN_UNSUPPORTED`, warning: true }
          : { detail: `${answer.length} instance${answer.length === 1 ? '' : 's'}` },
    );
    await timed('stop', () => plugin.stop(), () => ({ detail: describeExitInfo(plugin) }));
    return { ok: true, path: options.path, steps };
  } catch (error) {
    return failed(nextStep(steps), error);
  } finally {
    await plugin.stop();
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** What the probe without the cookie found, once the run with it went past the cookie check. */
function cookieStep(probe: CookieProbe): DiagnosisStep | undefined {
  const without = `without ${MAGIC_COOKIE_KEY}`;
  const goPlugin = 'go-plugin plugins print a notice and exit 1, so a person running one by hand learns what it is';
  switch (probe.outcome) {
    case 'not-run':
      // The start says why, in more words.
      return undefined;
    case 'killed':
      return {
        step: 'cookie',
        ok: true,
        warning: true,
        ms: probe.ms,
        detail: `${without} it kept running past the probe's ${probe.limitMs / 1000} s and was killed${probe.stdout ? ', having printed to stdout' : ''}; ${goPlugin}`,
      };
    case 'exited': {
      if (probe.code === 1 && probe.stdout === '') {
        const notice = probe.notice === undefined ? '' : probe.notice === 'go-plugin' ? ", go-plugin's notice" : ", snoozebot's notice";
        return {
          step: 'cookie',
          ok: true,
          ms: probe.ms,
          detail: `refuses to run ${without} (exit 1${notice}) and runs with ${MAGIC_COOKIE_KEY}=${MAGIC_COOKIE_VALUE}`,
        };
      }
      const how = probe.signal !== null ? `was killed by ${probe.signal}` : `exited with ${probe.code}`;
      return {
        step: 'cookie',
        ok: true,
        warning: true,
        ms: probe.ms,
        detail: `${without} it ${how}${probe.stdout ? ' and printed to stdout' : ''}; ${goPlugin}`,
      };
    }
  }
}

function describeExitInfo(plugin: PluginProcess): string {
  const exit = plugin.exitInfo;
  if (exit === undefined) return 'stopped';
  return exit.signal === null ? `exited with code ${exit.code} after GRPCController.Shutdown` : `killed by ${exit.signal}`;
}

/** A failed start is placed by how far the plugin got. */
function failedStartStep(plugin: PluginProcess, error: unknown): string {
  if (error instanceof HostError && error.code === 'PLUGIN_ADDRESS') return 'address';
  if (plugin.pid === undefined) return 'spawn';
  return plugin.handshake === undefined ? 'handshake' : 'health';
}

function nextStep(steps: readonly DiagnosisStep[]): string {
  const done = new Set(steps.map((s) => s.step));
  return STEPS.find((name) => name !== 'cookie' && !done.has(name)) ?? 'check';
}
