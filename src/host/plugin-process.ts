// One plugin process, from spawn to the last reaped child: go-plugin's client
// side. start() spawns the executable as the leader of its own process group
// (and, with a cgroup containment, inside its own cgroup from before it
// execs), reads the handshake from stdout, checks the address it names,
// connects and waits for health "plugin" to be SERVING. stop() asks politely
// (GRPCController.Shutdown), then SIGTERM, then SIGKILL to everything it
// started (cgroup.kill, or its process group), and removes the socket
// directory and the cgroup. An unexpected exit is reported as an `exited`
// event and cleaned up the same way.
import { EventEmitter } from 'node:events';
import { constants as fsConstants } from 'node:fs';
import { access, lstat, mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { status as grpcStatus } from '@grpc/grpc-js';
import { execa } from 'execa';
import type { Logger } from 'pino';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, isHandshakeError, recognizeCookieNotice } from '../handshake/index.js';
import type { Handshake } from '../handshake/index.js';
import { StdioData_Channel as StdioChannel } from '../gen/plugin/grpc_stdio_pb.js';
import type { EphemeralCertificate } from '../wire/certificate.js';
import { addressProblem, isInside } from './address-policy.js';
import { verifyChecksum } from './checksum.js';
import { CloudProviderClient } from './cloud-provider-client.js';
import { CallError, PluginConnection, ServingStatus } from './connection.js';
import { pluginEnvironment } from './environment.js';
import { HostError } from './errors.js';
import { scanStdoutLine } from './handshake-scanner.js';
import { LineSplitter, LineTail } from './line-splitter.js';
import { DEFAULTS } from './options.js';
import type { PluginProcessOptions, StopTimeouts } from './options.js';
import { OutputBudget } from './output-budget.js';
import { ENTER_FAILED, WRAPPER_NAME, wrapInCgroup } from './containment/index.js';
import type { PluginCgroup } from './containment/index.js';
import { MemorySampler } from './memory-sampler.js';
import { processTreeRss } from './process-memory.js';
import { parsePluginLogLine, renderPluginLogLine } from './plugin-log.js';
import { groupAlive, signalGroup, trackGroup, untrackGroup } from './process-group.js';

export type PluginProcessState = 'idle' | 'starting' | 'serving' | 'stopping' | 'exited';

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when the exit was asked for by stop(). */
  readonly expected: boolean;
}

export interface StartTimings {
  /** Milliseconds from start() to: the process spawned, its handshake line, health SERVING. */
  readonly spawnedMs: number;
  readonly handshakeMs: number;
  readonly servingMs: number;
}

type ChildProcess = ReturnType<typeof execa>;

const HEALTH_RETRY_MS = 25;
/** After SIGKILL the kernel reaps at once; this bound only guards against a zombie we cannot wait for. */
const KILL_WAIT_MS = 2_000;

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `was killed by ${signal}` : `exited with code ${code ?? 'unknown'}`;
}

const NEVER = new Promise<never>(() => undefined);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class PluginProcess extends EventEmitter<{ spawned: [number]; exited: [ExitInfo] }> {
  readonly name: string;
  readonly #options: PluginProcessOptions;
  readonly #log: Logger;
  readonly #stopTimeouts: StopTimeouts;
  readonly #stderrTail: LineTail;
  readonly #stdoutNoise: LineTail;
  #state: PluginProcessState = 'idle';
  #child: ChildProcess | undefined;
  #pid: number | undefined;
  #exit: Promise<ExitInfo> | undefined;
  #exited: ExitInfo | undefined;
  #socketDir: string | undefined;
  /** The socket directory with symlinks resolved: what a unix handshake address must be inside. */
  #socketDirReal: string | undefined;
  /** Its own cgroup, from the preflight until the teardown has emptied and removed it. */
  #cgroup: PluginCgroup | undefined;
  #connection: PluginConnection | undefined;
  #client: CloudProviderClient | undefined;
  #handshake: Handshake | undefined;
  #timings: StartTimings | undefined;
  #stopping: Promise<void> | undefined;
  #abortStart: ((error: HostError) => void) | undefined;
  #force = false;
  /** Its memory while it serves, sampled in the background. */
  #memory: MemorySampler | undefined;
  /** Every line the process prints, on its pipes or over GRPCStdio, is logged only within this. */
  readonly #output: OutputBudget;
  /** Settles once start() has returned or thrown (and cleaned up after itself). */
  #startSettled: Promise<void> | undefined;

  constructor(options: PluginProcessOptions) {
    super();
    this.#options = options;
    this.name = options.name ?? basename(options.path);
    this.#log = options.logger.child({ plugin: this.name });
    this.#stopTimeouts = { ...DEFAULTS.stopTimeouts, ...options.stopTimeouts };
    this.#stderrTail = new LineTail(options.stderrTailLines ?? DEFAULTS.stderrTailLines);
    this.#stdoutNoise = new LineTail(3);
    this.#output = new OutputBudget(DEFAULTS.logLinesPerSecond, DEFAULTS.logLinesBurst, (dropped, budget) => {
      this.#log.warn(
        { dropped },
        `dropped ${dropped} lines of plugin output: more than ${budget.perSecond} lines/s (after a burst of ${budget.burst})`,
      );
    });
  }

  get state(): PluginProcessState {
    return this.#state;
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  get handshake(): Handshake | undefined {
    return this.#handshake;
  }

  get timings(): StartTimings | undefined {
    return this.#timings;
  }

  get exitInfo(): ExitInfo | undefined {
    return this.#exited;
  }

  /** Settles when the process has exited; never, for one that was never spawned. One promise, so waiting adds no listener. */
  exited(): Promise<ExitInfo> {
    return this.#exit ?? NEVER;
  }

  /** The plugin's cgroup directory while it has one (cgroup containment). */
  get cgroup(): string | undefined {
    return this.#cgroup?.path;
  }

  /**
   * Bytes of memory the plugin and what it started use (memory.current of
   * its cgroup, else the sum of their RSS), as of the last refreshMemory();
   * undefined when it does not serve or has not been measured yet.
   */
  memoryBytes(): number | undefined {
    return this.#state === 'serving' ? this.#memory?.latest : undefined;
  }

  /** Measures the plugin's memory unless the last figure is younger than MEMORY_SAMPLE_MS; never rejects. */
  refreshMemory(): Promise<void> {
    return this.#state === 'serving' && this.#memory !== undefined ? this.#memory.refresh() : Promise.resolve();
  }

  /** The plugin's last stderr lines. */
  stderrTail(): string[] {
    return this.#stderrTail.lines();
  }

  get client(): CloudProviderClient {
    if (this.#state !== 'serving' || this.#client === undefined) {
      throw new HostError('PLUGIN_STOPPED', `plugin ${this.name} is not serving (it is ${this.#state})`);
    }
    return this.#client;
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new HostError('PLUGIN_SPAWN', `plugin ${this.name} was already started`);
    this.#state = 'starting';
    let settled!: () => void;
    this.#startSettled = new Promise<void>((resolve) => (settled = resolve));
    const t0 = performance.now();
    const since = () => Math.round((performance.now() - t0) * 1000) / 1000;
    const timeoutMs = this.#options.startTimeoutMs ?? DEFAULTS.startTimeoutMs;
    const aborted = new Promise<never>((_, reject) => {
      this.#abortStart = reject;
    });
    aborted.catch(() => undefined);
    // A cleared timer, not delay(): a pending one would keep the host's event loop alive for timeoutMs.
    let deadlineTimer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      deadlineTimer = setTimeout(() => {
        reject(new HostError('PLUGIN_START_TIMEOUT', this.#timeoutMessage(timeoutMs), { stderrTail: this.stderrTail() }));
      }, timeoutMs);
    });
    deadline.catch(() => undefined);
    // Kept so an aborted start can wait for it: it creates the socket directory.
    const preflight = this.#preflight();
    preflight.catch(() => undefined);
    try {
      await Promise.race([preflight, aborted]);
      const tls = this.#options.autoMtls ? await Promise.race([this.#clientCertificate(), aborted]) : undefined;
      const handshakeSeen = this.#spawn(tls);
      const spawnedMs = since();
      const handshake = await Promise.race([handshakeSeen, this.#exitBeforeReady('its handshake'), deadline, aborted]);
      const handshakeMs = since();
      this.#handshake = handshake;
      this.#log.debug({ network: handshake.network, address: handshake.address, tls: handshake.serverCert !== undefined }, 'plugin handshake');
      await Promise.race([this.#checkAddress(handshake), aborted]);
      if (tls !== undefined && handshake.serverCert === undefined) {
        throw new HostError(
          'PLUGIN_INCOMPATIBLE',
          `plugin ${this.name} ignored AutoMTLS: its handshake has no certificate (6th field); upgrade its SDK or turn autoMtls off`,
        );
      }
      this.#connection = new PluginConnection(
        handshake,
        tls === undefined || handshake.serverCert === undefined
          ? undefined
          : { clientCert: tls, serverCertPem: await this.#serverCertPem(handshake.serverCert) },
      );
      await Promise.race([this.#waitServing(t0 + timeoutMs), this.#exitBeforeReady('health SERVING'), deadline, aborted]);
      this.#client = new CloudProviderClient(this.#connection, this.#options.callTimeoutMs ?? DEFAULTS.callTimeoutMs, this.name, {
        notice: (message) => this.#log.warn(message),
      });
      this.#timings = { spawnedMs, handshakeMs, servingMs: since() };
      this.#state = 'serving';
      this.#consumeStdio(this.#connection);
      this.#trackMemory();
      this.#log.info({ pluginPid: this.#pid, ms: this.#timings.servingMs }, 'plugin serving');
    } catch (error) {
      const failure = this.#asHostError(error);
      this.#log.warn({ code: failure.code, error: failure.message }, 'plugin failed to start');
      // stop() during the preflight aborts the race, not the preflight: let it
      // finish so the socket directory it creates is removed below.
      await preflight.catch(() => undefined);
      await this.#teardown(false);
      throw failure;
    } finally {
      clearTimeout(deadlineTimer);
      this.#abortStart = undefined;
      settled();
    }
  }

  /** One health check of service "plugin"; throws unless it answers SERVING within `timeoutMs`. */
  async checkHealth(timeoutMs: number): Promise<void> {
    const connection = this.#connection;
    if (this.#state !== 'serving' || connection === undefined) {
      throw new HostError('PLUGIN_STOPPED', `plugin ${this.name} is not serving (it is ${this.#state})`);
    }
    let status: ServingStatus;
    try {
      status = await connection.health(timeoutMs);
    } catch (error) {
      throw new HostError('PLUGIN_UNHEALTHY', `plugin ${this.name}: health check failed: ${(error as Error).message}`, { cause: error });
    }
    if (status !== ServingStatus.SERVING) {
      throw new HostError('PLUGIN_UNHEALTHY', `plugin ${this.name}: health is ${ServingStatus[status] ?? status}, not SERVING`);
    }
  }

  /**
   * Stops the plugin and everything it started; safe to call at any time, any
   * number of times. `force` skips the polite steps (Shutdown, SIGTERM) for a
   * plugin that no longer answers: its process group gets SIGKILL at once.
   */
  stop(options: { force?: boolean } = {}): Promise<void> {
    if (options.force) this.#force = true;
    this.#stopping ??= (async () => {
      if (this.#state === 'idle' || this.#state === 'exited') {
        this.#state = 'exited';
        await this.#teardown(true);
        return;
      }
      this.#abortStart?.(new HostError('PLUGIN_STOPPED', `plugin ${this.name} was stopped while starting`));
      this.#state = 'stopping';
      // An aborted start cleans up after itself; resolve only once it has.
      await this.#startSettled;
      await this.#teardown(true);
    })();
    return this.#stopping;
  }

  async #preflight(): Promise<void> {
    const { path } = this.#options;
    if (this.#options.verify !== undefined) await this.#options.verify(path);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) throw new HostError('PLUGIN_NOT_FOUND', `plugin ${this.name}: ${path} does not exist`);
    if (!info.isFile()) throw new HostError('PLUGIN_SPAWN', `plugin ${this.name}: ${path} is not a regular file`);
    await access(path, fsConstants.X_OK).catch(() => {
      throw new HostError('PLUGIN_SPAWN', `plugin ${this.name}: ${path} is not executable (chmod 755 it)`);
    });
    if (this.#options.sha256 !== undefined) await verifyChecksum(path, this.#options.sha256);
    const containment = this.#options.containment;
    if (containment?.enabled) {
      try {
        this.#cgroup = await containment.acquire(this.name);
      } catch (error) {
        throw new HostError('PLUGIN_CONTAINMENT', `plugin ${this.name}: cannot make its cgroup: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
    }
    this.#socketDir = await mkdtemp(join(this.#options.socketParentDir ?? tmpdir(), 'snoozebot-host-'));
    this.#socketDirReal = await realpath(this.#socketDir);
  }

  /** Throws PLUGIN_ADDRESS unless the handshake names an endpoint this start offered (address-policy.ts). */
  async #checkAddress(handshake: Handshake): Promise<void> {
    const socketDir = this.#socketDirReal ?? this.#socketDir ?? tmpdir();
    let problem = addressProblem(handshake.network, handshake.address, {
      socketDir,
      portRange: this.#options.portRange ?? DEFAULTS.portRange,
    });
    if (problem === undefined && handshake.network === 'unix') {
      // Lexically inside is not enough: a symlink in there could lead to another plugin's socket.
      const real = await realpath(handshake.address).catch(() => undefined);
      if (real === undefined) problem = ', which does not exist';
      else if (!isInside(socketDir, real)) problem = `, which leads to ${real} outside the socket directory made for this start (${socketDir})`;
      else if (!(await lstat(real)).isSocket()) problem = ', which is not a socket';
    }
    if (problem !== undefined) {
      throw new HostError('PLUGIN_ADDRESS', `plugin ${this.name} announced address ${handshake.address}${problem}`, {
        stderrTail: this.stderrTail(),
      });
    }
  }

  async #clientCertificate(): Promise<EphemeralCertificate> {
    const { createEphemeralCertificate } = await import('../wire/certificate.js');
    return createEphemeralCertificate();
  }

  async #serverCertPem(field: string): Promise<string> {
    const { handshakeFieldToPem } = await import('../wire/certificate.js');
    return handshakeFieldToPem(field);
  }

  /** Spawns the plugin; resolves with its handshake. */
  #spawn(tls: EphemeralCertificate | undefined): Promise<Handshake> {
    const options = this.#options;
    const appVersions = options.appVersions ?? DEFAULTS.appVersions;
    const env = pluginEnvironment({
      hostEnv: process.env,
      inheritEnv: options.inheritEnv ?? true,
      extra: options.env ?? {},
      appVersions,
      portRange: options.portRange ?? DEFAULTS.portRange,
      socketDir: this.#socketDir ?? tmpdir(),
      clientCertPem: tls?.certPem,
    });
    // Inside its cgroup from before it execs (spawn-wrapper.ts), or as it is.
    const command =
      this.#cgroup === undefined
        ? { file: options.path, args: [...(options.args ?? [])] }
        : wrapInCgroup(this.#cgroup.procsFile, options.path, options.args ?? []);
    const child = execa(command.file, command.args, {
      env,
      extendEnv: false,
      // Its own process group, so stop() can signal the plugin and all it forked at once.
      detached: true,
      // stdin stays an open pipe for the plugin's life: our SDK exits when it closes.
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: false,
      encoding: 'buffer',
    });
    this.#child = child;
    this.#pid = child.pid;
    if (child.pid !== undefined) {
      trackGroup(child.pid);
      // Before the handshake, so a supervisor can record the pid of a plugin that never gets that far.
      this.emit('spawned', child.pid);
    }
    // stdin write errors (EPIPE once the plugin is gone) are not news.
    child.stdin?.on('error', () => undefined);

    this.#exit = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        const info: ExitInfo = { code, signal, expected: this.#stopping !== undefined };
        this.#exited = info;
        resolve(info);
        this.#onExit(info);
      });
    });
    const spawnFailed = new Promise<never>((_, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        reject(new HostError('PLUGIN_SPAWN', `plugin ${this.name}: cannot run ${options.path}: ${error.code ?? error.message}`));
      });
    });
    spawnFailed.catch(() => undefined);
    // execa's own promise settles with the result; failures are handled through the events above.
    void child.then(
      () => undefined,
      () => undefined,
    );

    const maxLine = options.maxLineBytes ?? DEFAULTS.maxLineBytes;
    // One budget for both pipes and GRPCStdio (output-budget.ts).
    const withinBudget = () => this.#output.allow();
    // 'close', not 'exit': the last lines of the pipes may arrive after the exit.
    child.once('close', () => this.#output.close());
    const stderr = new LineSplitter(maxLine, ({ text, truncated }) => {
      // The tail keeps every line, logged or not: it explains a crash. JSON
      // log lines are kept as text, since error messages quote the tail.
      this.#stderrTail.add(truncated ? `${text.slice(0, 200)}… (line cut at ${maxLine} bytes)` : renderPluginLogLine(text));
      if (!withinBudget()) return;
      this.#logPluginLine(text, truncated, {});
    });
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stderr?.on('end', () => stderr.end());

    const handshake = new Promise<Handshake>((resolve, reject) => {
      let found = false;
      const stdout = new LineSplitter(maxLine, (line) => {
        if (found) {
          if (withinBudget()) this.#log.info({ stream: 'stdout' }, line.text);
          return;
        }
        try {
          const result = scanStdoutLine(line, appVersions);
          if (result.kind === 'handshake') {
            found = true;
            resolve(result.handshake);
          } else if (result.kind === 'noise') {
            this.#stdoutNoise.add(result.text);
            if (withinBudget()) this.#log.info({ stream: 'stdout' }, `before handshake: ${result.text}`);
          } else {
            found = true;
            reject(
              new HostError(
                'PLUGIN_HANDSHAKE',
                `plugin ${this.name} printed more than ${maxLine} bytes on stdout without a newline before its handshake ` +
                  `(starting ${JSON.stringify(result.text.slice(0, 60))}); only the handshake line may go to stdout`,
                { stderrTail: this.stderrTail() },
              ),
            );
          }
        } catch (error) {
          found = true;
          reject(isHandshakeError(error) ? HostError.handshake(error, this.stderrTail(), this.name) : error);
        }
      });
      child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stdout?.on('end', () => stdout.end());
    });
    return Promise.race([handshake, spawnFailed]);
  }

  /** Rejects when the process exits before `what`; stays pending otherwise. */
  async #exitBeforeReady(what: string): Promise<never> {
    const info = await (this.#exit ?? new Promise<ExitInfo>(() => undefined));
    // Let stderr's last lines arrive: the pipe may deliver them just after the exit event.
    await new Promise<void>((resolve) => {
      const stream = this.#child?.stderr;
      if (!stream || stream.readableEnded) return resolve();
      const timer = setTimeout(resolve, 200);
      stream.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const foreign = this.#foreignCookie(info);
    if (foreign !== undefined) throw new HostError('PLUGIN_FOREIGN', foreign, { stderrTail: this.stderrTail() });
    const noise = this.#stdoutNoise.lines();
    if (this.#cgroup !== undefined && info.code === ENTER_FAILED && this.stderrTail().some((l) => l.startsWith(`${WRAPPER_NAME}:`))) {
      throw new HostError(
        'PLUGIN_CONTAINMENT',
        `plugin ${this.name} could not be moved into its cgroup ${this.#cgroup.path}, so it was not run: ${this.stderrTail().at(-1) ?? ''}`,
        { stderrTail: this.stderrTail() },
      );
    }
    throw new HostError(
      'PLUGIN_EXITED_EARLY',
      `plugin ${this.name} ${describeExit(info.code, info.signal)} before ${what}` +
        (noise.length > 0 ? `; its stdout said: ${noise.map((l) => JSON.stringify(l.slice(0, 120))).join(' ')}` : ''),
      { stderrTail: this.stderrTail() },
    );
  }

  /**
   * A plugin that exits before its handshake with a cookie notice on stderr
   * refused the cookie we gave it: it was built for another cookie. go-plugin's
   * notice names none, so it is any go-plugin application's; ours says snoozebot.
   */
  #foreignCookie(info: ExitInfo): string | undefined {
    if (info.code !== 1) return undefined;
    const notice = recognizeCookieNotice(this.stderrTail());
    if (notice === 'go-plugin') {
      return `plugin ${this.name}: this is a go-plugin plugin for another application (it asks for a different magic cookie); it is not a snoozebot plugin`;
    }
    if (notice === 'snoozebot') {
      return `plugin ${this.name} refused this snoozebot's magic cookie (${MAGIC_COOKIE_KEY}=${MAGIC_COOKIE_VALUE}): it was built for another snoozebot release`;
    }
    return undefined;
  }

  #timeoutMessage(timeoutMs: number): string {
    const phase = this.#handshake === undefined ? 'print its handshake' : 'report health SERVING';
    const noise = this.#stdoutNoise.lines();
    return (
      `plugin ${this.name} did not ${phase} within ${timeoutMs} ms` +
      (noise.length > 0 ? `; its stdout said: ${noise.map((l) => JSON.stringify(l.slice(0, 120))).join(' ')}` : '') +
      ' (is it a go-plugin gRPC plugin for snoozebot?)'
    );
  }

  async #waitServing(deadline: number): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) return;
    let last = 'no answer';
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        throw new HostError('PLUGIN_UNHEALTHY', `plugin ${this.name} did not report health SERVING (last: ${last})`, {
          stderrTail: this.stderrTail(),
        });
      }
      try {
        const status = await connection.health(Math.max(1, Math.min(remaining, 1_000)));
        if (status === ServingStatus.SERVING) return;
        last = ServingStatus[status] ?? String(status);
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
        if (error instanceof CallError && error.grpcCode === 12 /* UNIMPLEMENTED */) {
          throw new HostError('PLUGIN_INCOMPATIBLE', `plugin ${this.name} has no grpc.health.v1 service; go-plugin plugins must serve it`);
        }
      }
      if (this.#abortStart === undefined) return;
      await delay(HEALTH_RETRY_MS);
    }
  }

  /**
   * One line of the plugin's own logging. An hclog line's fields are nested
   * under `pluginFields`, never merged into the daemon's line: a plugin must
   * not be able to set the daemon's own keys (time, pid, plugin, component).
   */
  #logPluginLine(text: string, truncated: boolean, extra: Readonly<Record<string, unknown>>): void {
    const entry = parsePluginLogLine(text);
    const fields: Record<string, unknown> = { ...extra };
    if (Object.keys(entry.fields).length > 0) fields.pluginFields = entry.fields;
    if (truncated) fields.truncated = true;
    this.#log[entry.level](fields, entry.message);
  }

  /**
   * GRPCStdio: what the plugin writes to stdout/stderr after the handshake,
   * relayed as messages of any size. Split into lines (each cut at
   * maxLineBytes) and logged under the same budget as the pipes.
   */
  #consumeStdio(connection: PluginConnection): void {
    const maxLine = this.#options.maxLineBytes ?? DEFAULTS.maxLineBytes;
    const stdout = new LineSplitter(maxLine, ({ text, truncated }) => {
      if (this.#output.allow()) this.#log.info({ stream: 'stdout', ...(truncated ? { truncated } : {}) }, text);
    });
    const stderr = new LineSplitter(maxLine, ({ text, truncated }) => {
      if (this.#output.allow()) this.#logPluginLine(text, truncated, { stream: 'stderr' });
    });
    const stream = connection.streamStdio();
    stream.on('data', (data: { channel: number; data: Uint8Array }) => {
      const bytes = Buffer.from(data.data.buffer, data.data.byteOffset, data.data.byteLength);
      (data.channel === StdioChannel.STDERR ? stderr : stdout).push(bytes);
    });
    const finish = () => {
      stdout.end();
      stderr.end();
    };
    stream.once('end', finish);
    // UNIMPLEMENTED (older go-plugin servers) or the end of the connection: what is buffered is still logged.
    stream.on('error', finish);
  }

  #onExit(info: ExitInfo): void {
    if (!info.expected && this.#state === 'serving') {
      this.#log.warn({ code: info.code, signal: info.signal }, `plugin ${describeExit(info.code, info.signal)} unexpectedly`);
      this.#state = 'exited';
      void this.#teardown(false);
    } else if (!info.expected) {
      this.#log.debug({ code: info.code, signal: info.signal }, 'plugin exited');
    }
    this.emit('exited', info);
  }

  #trackMemory(): void {
    const cgroup = this.#cgroup;
    const pid = this.#pid;
    if (pid === undefined) return;
    this.#memory = new MemorySampler(() => (cgroup !== undefined ? cgroup.memoryBytes() : processTreeRss(pid)));
  }

  /** Stop sequence, then cleanup. `graceful` tries the controller first. */
  async #teardown(graceful: boolean): Promise<void> {
    this.#memory?.stop();
    const pid = this.#pid;
    const exited = () => this.#exited !== undefined;
    const waitExit = async (ms: number) => {
      if (this.#exit === undefined || exited()) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#exit, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
      clearTimeout(timer);
    };
    if (pid !== undefined && !exited() && this.#force) {
      this.#log.warn(`plugin does not answer; killing its ${this.#cgroup === undefined ? 'process group' : 'cgroup'}`);
      await this.#killEverything(pid);
      await waitExit(KILL_WAIT_MS);
    }
    if (pid !== undefined && !exited()) {
      if (graceful && this.#connection !== undefined && this.#handshake !== undefined) {
        const { controllerMs } = this.#stopTimeouts;
        let asked = true;
        try {
          await this.#connection.shutdown(controllerMs);
        } catch (error) {
          // go-plugin servers (1.0.x) stop before they answer Shutdown, so the
          // call fails as UNAVAILABLE while the plugin is in fact exiting: wait
          // for it as for an answer. Any other failure means nobody listened.
          asked = error instanceof CallError && error.grpcCode === grpcStatus.UNAVAILABLE;
          this.#log.debug({ error: error instanceof Error ? error.message : String(error) }, 'controller shutdown call failed');
        }
        this.#child?.stdin?.end();
        if (asked) await waitExit(controllerMs);
      }
      if (!exited()) {
        this.#child?.stdin?.end();
        if (signalGroup(pid, 'SIGTERM')) await waitExit(this.#stopTimeouts.termMs);
      }
      if (!exited()) {
        this.#log.warn(`plugin ignored SIGTERM; killing its ${this.#cgroup === undefined ? 'process group' : 'cgroup'}`);
        await this.#killEverything(pid);
        await waitExit(KILL_WAIT_MS);
      }
    }
    // Children that outlived the plugin (or ignored SIGTERM) go with its cgroup
    // (wherever they went: setsid() does not leave a cgroup), else its group.
    const cgroup = this.#cgroup;
    if (cgroup !== undefined) {
      if (await cgroup.populated().catch(() => false)) this.#log.warn({ cgroup: cgroup.path }, 'plugin left processes behind; killing its cgroup');
      const released = await cgroup.release();
      if (released.error !== undefined) this.#log.warn({ cgroup: cgroup.path, error: released.error }, 'could not empty and remove the plugin\'s cgroup');
    } else if (pid !== undefined && groupAlive(pid)) {
      this.#log.warn('plugin left processes behind; killing its process group');
      signalGroup(pid, 'SIGKILL');
    }
    if (pid !== undefined) untrackGroup(pid);
    this.#child?.stdin?.destroy();
    this.#connection?.close();
    this.#connection = undefined;
    this.#client = undefined;
    if (this.#socketDir !== undefined) await rm(this.#socketDir, { recursive: true, force: true });
    this.#state = 'exited';
  }

  /** SIGKILL to everything the plugin started: its cgroup, else its process group. */
  async #killEverything(pid: number): Promise<void> {
    if (this.#cgroup !== undefined) await this.#cgroup.kill().catch(() => signalGroup(pid, 'SIGKILL'));
    else signalGroup(pid, 'SIGKILL');
  }

  #asHostError(error: unknown): HostError {
    if (error instanceof HostError) return error;
    if (isHandshakeError(error)) return HostError.handshake(error, this.stderrTail(), this.name);
    return new HostError('PLUGIN_SPAWN', `plugin ${this.name}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
      stderrTail: this.stderrTail(),
    });
  }
}
