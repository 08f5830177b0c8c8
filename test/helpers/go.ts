// Helpers for tests that use the Go interop binaries (see test/interop/go-build.ts).

import { spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import type { GoBuild } from '../interop/go-build.js';

export type GoBuildOk = Extract<GoBuild, { ok: true }>;

/**
 * Returns true when the Go binaries are available. Otherwise: under CI
 * (process.env.CI set) it throws, elsewhere it logs the reason and skips the test.
 */
export function goRequired(t: TestContext, build: GoBuild): build is GoBuildOk {
  if (build.ok) return true;
  if (process.env.CI) throw new Error(`Go interop required in CI: ${build.reason}`);
  console.log(`skipping Go interop test: ${build.reason}`);
  t.skip(build.reason);
  return false;
}

// ---- gohost JSON contract -------------------------------------------------

export type GoHostInstance = {
  id: string;
  name: string;
  type: string;
  region: string;
  zone: string;
  state: string;
  /** RFC3339Nano (UTC), "" when the plugin sent no launch_time. */
  launchTime: string;
};

export type GoHostAction = { success: boolean; errorMessage: string };

export type GoHostResults = {
  apiVersion: string;
  /** The Go snoozebot's version.IsCompatible on apiVersion: "compatible", "incompatible", "error: …"; "" when GetAPIVersion failed. */
  apiCheck: string;
  providerName: string;
  providerVersion: string;
  instance: GoHostInstance | null;
  instances: GoHostInstance[];
  stop: GoHostAction;
  start: GoHostAction;
  stateAfterStop: string;
  stateAfterStart: string;
  /** Calls that failed, by method: "Unimplemented: method GetAPIVersion not implemented". */
  errors: Record<string, string>;
};

export type GoHostCycle = {
  startToFirstRpcNs: number;
  rpcNs: number[];
  killNs: number;
  /** The plugin process ended on its own (not force-killed / signalled). */
  exited: boolean;
  /** -1 when the process was ended by a signal. */
  exitCode: number;
  /** Kill() returned before go-plugin's 2 s force-kill deadline. */
  killedWithinGrace: boolean;
};

export type GoHostReport = {
  negotiatedVersion: number;
  protocol: string;
  mtls: boolean;
  results: GoHostResults;
  cycles: GoHostCycle[];
};

export type GoHostOptions = {
  mtls?: boolean;
  rpcs?: number;
  repeat?: number;
  /** The method of the first and the timed calls (default GetAPIVersion). */
  rpc?: 'GetAPIVersion' | 'GetProviderName';
  /** The app protocol version gohost offers (default 1). */
  version?: number;
  /** PLUGIN_MIN_PORT / PLUGIN_MAX_PORT. */
  ports?: readonly [number, number];
  /** Extra environment for gohost (inherited by the plugin). */
  env?: NodeJS.ProcessEnv;
  /** gohost is sent SIGTERM (it then kills the plugin) after this long. Default 60 s. */
  timeoutMs?: number;
};

export type GoHostRun = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** Runs gohost and resolves when the process exits (whatever its status). */
export function spawnGoHost(host: string, pluginPath: string, opts: GoHostOptions = {}): Promise<GoHostRun> {
  const args: string[] = [];
  if (opts.mtls) args.push('-mtls');
  if (opts.rpcs !== undefined) args.push('-rpcs', String(opts.rpcs));
  if (opts.repeat !== undefined) args.push('-repeat', String(opts.repeat));
  if (opts.rpc !== undefined) args.push('-rpc', opts.rpc);
  if (opts.version !== undefined) args.push('-version', String(opts.version));
  if (opts.ports !== undefined) args.push('-min-port', String(opts.ports[0]), '-max-port', String(opts.ports[1]));
  args.push(pluginPath);
  return new Promise((resolve, reject) => {
    const child = spawn(host, args, {
      // go-plugin 1.0.1 hands gohost's stdin to the plugin: give it /dev/null.
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
      timeout: opts.timeoutMs ?? 60_000,
      killSignal: 'SIGTERM',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** Runs gohost, requires exit status 0 and returns its validated JSON report. */
export async function runGoHost(host: string, pluginPath: string, opts: GoHostOptions = {}): Promise<GoHostReport> {
  const r = await spawnGoHost(host, pluginPath, opts);
  if (r.code !== 0) {
    throw new Error(
      `gohost ${pluginPath} failed (code ${String(r.code)}, signal ${String(r.signal)}):\n${r.stderr.trim()}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch (e) {
    throw new Error(`gohost printed invalid JSON: ${r.stdout.slice(0, 2000)}`, { cause: e });
  }
  assertReport(parsed);
  return parsed;
}

// ---- validation -------------------------------------------------------------

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function check(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(`gohost JSON: ${what}`);
}

function checkFields(o: Obj, where: string, fields: Record<string, 'string' | 'number' | 'boolean'>): void {
  for (const [k, t] of Object.entries(fields)) check(typeof o[k] === t, `${where}.${k} is not a ${t}`);
}

function checkInstance(v: unknown, where: string): void {
  check(isObj(v), `${where} is not an object`);
  checkFields(v, where, {
    id: 'string',
    name: 'string',
    type: 'string',
    region: 'string',
    zone: 'string',
    state: 'string',
    launchTime: 'string',
  });
}

function assertReport(v: unknown): asserts v is GoHostReport {
  check(isObj(v), 'top level is not an object');
  checkFields(v, 'report', { negotiatedVersion: 'number', protocol: 'string', mtls: 'boolean' });
  const res = v.results;
  check(isObj(res), 'results is not an object');
  checkFields(res, 'results', {
    apiVersion: 'string',
    apiCheck: 'string',
    providerName: 'string',
    providerVersion: 'string',
    stateAfterStop: 'string',
    stateAfterStart: 'string',
  });
  if (res.instance !== null) checkInstance(res.instance, 'results.instance');
  check(isObj(res.errors) && Object.values(res.errors).every((e) => typeof e === 'string'), 'results.errors is not a string map');
  check(Array.isArray(res.instances), 'results.instances is not an array');
  res.instances.forEach((inst: unknown, i: number) => checkInstance(inst, `results.instances[${i}]`));
  for (const k of ['stop', 'start'] as const) {
    const a = res[k];
    check(isObj(a), `results.${k} is not an object`);
    checkFields(a, `results.${k}`, { success: 'boolean', errorMessage: 'string' });
  }
  check(Array.isArray(v.cycles), 'cycles is not an array');
  v.cycles.forEach((c: unknown, i: number) => {
    check(isObj(c), `cycles[${i}] is not an object`);
    checkFields(c, `cycles[${i}]`, {
      startToFirstRpcNs: 'number',
      killNs: 'number',
      exited: 'boolean',
      exitCode: 'number',
      killedWithinGrace: 'boolean',
    });
    check(
      Array.isArray(c.rpcNs) && c.rpcNs.every((n: unknown) => typeof n === 'number'),
      `cycles[${i}].rpcNs is not a number array`,
    );
  });
}
