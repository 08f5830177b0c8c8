// The soak's writers: what operators and scripts do to a running daemon,
// all at once and without a break (issue 11): load, unload and restart of
// the writer plugins, `instance stop` through them (a real StopInstance:
// their stop command appends a line to a file), `instance info`, and SIGHUP
// reloads. The writer plugins are copies of the local plugin that the fault
// runner leaves alone, so every answer here can be judged on its own:
//
// - allowed: 200; 409 OPERATION_CANCELLED (an unload overtook a load or
//   restart); 503 PLUGIN_NOT_SERVING (a call through a plugin that is
//   unloaded or restarting; for a stop, "not sent"); 502 OUTCOME_UNKNOWN (a
//   stop whose plugin was restarted under it).
// - anything else (another status, a 500, a connection error) is an error.
//
// Stops are counted: every stop answered 200 must have run the stop command
// exactly once, and an unknown one at most once; a stop not sent, never.
import { readFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { request } from 'node:http';
import type { Random } from './random.js';

export const WRITE_ACTIONS = ['load', 'unload', 'restart', 'instance stop', 'instance info'] as const;
export type WriteAction = (typeof WRITE_ACTIONS)[number];
/** Restarts and loads are what races; stops are what must never repeat. */
const WEIGHTS: Readonly<Record<WriteAction, number>> = { load: 3, unload: 2, restart: 3, 'instance stop': 2, 'instance info': 1 };

const ALLOWED: Readonly<Record<number, readonly string[]>> = {
  409: ['OPERATION_CANCELLED'],
  502: ['OUTCOME_UNKNOWN'],
  503: ['PLUGIN_NOT_SERVING'],
};

export interface WriteOptions {
  readonly socket: string;
  readonly names: readonly string[];
  readonly clients: number;
  /** Mutating calls (everything but `instance info`) to make at least, even after `stop()` is asked for. */
  readonly minMutating: number;
  readonly reloadEveryMs: number;
  readonly daemon: ChildProcess;
  /** The file the writer plugins' stop command appends to. */
  readonly stopFile: string;
  readonly random: Random;
}

export interface WriteCounts {
  readonly calls: Readonly<Record<string, number>>;
  /** Answers by "STATUS CODE" (e.g. "409 OPERATION_CANCELLED", "200"). */
  readonly answers: Readonly<Record<string, number>>;
  readonly mutating: number;
  readonly reloads: number;
  readonly stops: { readonly accepted: number; readonly unknown: number; readonly notSent: number };
  readonly errors: readonly string[];
  readonly errorCount: number;
}

interface Answer {
  readonly status: number;
  readonly code: string | undefined;
  readonly message: string | undefined;
}

export class WriteLoad {
  readonly #options: WriteOptions;
  readonly #calls: Record<string, number> = {};
  readonly #answers: Record<string, number> = {};
  readonly #errors: string[] = [];
  #errorCount = 0;
  #mutating = 0;
  #reloads = 0;
  readonly #stops = { accepted: 0, unknown: 0, notSent: 0 };
  #stopping = false;
  #loops: Array<Promise<void>> = [];

  constructor(options: WriteOptions) {
    this.#options = options;
  }

  start(): void {
    for (let i = 0; i < this.#options.clients; i += 1) this.#loops.push(this.#loop());
    this.#loops.push(this.#reloadLoop());
  }

  /** Stops once at least `minMutating` mutating calls were made; waits for the calls in flight. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#loops);
    this.#loops = [];
  }

  get mutating(): number {
    return this.#mutating;
  }

  /** Lines the stop command wrote. */
  async stopCommandsRun(): Promise<number> {
    try {
      return (await readFile(this.#options.stopFile, 'utf8')).split('\n').filter((l) => l !== '').length;
    } catch {
      return 0;
    }
  }

  counts(): WriteCounts {
    return {
      calls: { ...this.#calls },
      answers: { ...this.#answers },
      mutating: this.#mutating,
      reloads: this.#reloads,
      stops: { ...this.#stops },
      errors: [...this.#errors],
      errorCount: this.#errorCount,
    };
  }

  #done(): boolean {
    return this.#stopping && this.#mutating >= this.#options.minMutating;
  }

  async #loop(): Promise<void> {
    const { random, names } = this.#options;
    const bag = WRITE_ACTIONS.flatMap((action) => Array<WriteAction>(WEIGHTS[action]).fill(action));
    while (!this.#done()) {
      const action = random.pick(bag);
      const name = random.pick(names);
      await this.#act(action, name);
    }
  }

  async #act(action: WriteAction, name: string): Promise<void> {
    this.#calls[action] = (this.#calls[action] ?? 0) + 1;
    if (action !== 'instance info') this.#mutating += 1;
    let answer: Answer;
    try {
      answer = await this.#request(action, name);
    } catch (error) {
      this.#error(`${action} ${name}: ${(error as Error).message}`);
      return;
    }
    const key = answer.code === undefined ? String(answer.status) : `${answer.status} ${answer.code}`;
    this.#answers[key] = (this.#answers[key] ?? 0) + 1;
    if (answer.status !== 200 && !(ALLOWED[answer.status] ?? []).includes(answer.code ?? '')) {
      this.#error(`${action} ${name}: answered ${key}: ${answer.message ?? ''}`);
    }
    if (action === 'instance stop') {
      if (answer.status === 200) this.#stops.accepted += 1;
      else if (answer.code === 'OUTCOME_UNKNOWN') this.#stops.unknown += 1;
      else this.#stops.notSent += 1;
    }
  }

  #request(action: WriteAction, name: string): Promise<Answer> {
    const plugin = encodeURIComponent(name);
    const [method, path, body] =
      action === 'instance stop'
        ? ['POST', '/v1/instance/stop', JSON.stringify({ plugin: name })]
        : action === 'instance info'
          ? ['GET', `/v1/instance?plugin=${plugin}`, undefined]
          : ['POST', `/v1/plugins/${plugin}/${action}`, '{}'];
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.#options.socket,
          method,
          path,
          agent: false,
          timeout: 60_000,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (b: Buffer) => chunks.push(b));
          res.once('error', reject);
          res.once('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let code: string | undefined;
            let message: string | undefined;
            if (res.statusCode !== 200) {
              try {
                ({ code, message } = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error ?? {});
              } catch {
                code = `unreadable: ${text.slice(0, 80)}`;
              }
            }
            resolve({ status: res.statusCode ?? 0, code, message });
          });
        },
      );
      req.once('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 60 s`)));
      req.once('error', reject);
      req.end(body);
    });
  }

  async #reloadLoop(): Promise<void> {
    while (!this.#done()) {
      await delay(this.#options.reloadEveryMs);
      if (this.#done()) break;
      this.#options.daemon.kill('SIGHUP');
      this.#reloads += 1;
    }
  }

  #error(detail: string): void {
    this.#errorCount += 1;
    if (this.#errors.length < 50) this.#errors.push(detail.slice(0, 300));
  }
}
