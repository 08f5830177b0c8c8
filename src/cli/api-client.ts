// The CLI's client for the daemon's API: JSON over HTTP on the unix socket
// (docs/api.md). Three kinds of failure, for three exit codes' worth of
// messages: the daemon cannot be reached, the daemon answered with an error,
// the answer made no sense or never came.
import type { ApiErrorBody } from '../daemon/api/errors.js';
import type {
  DaemonStatus,
  InstanceAnswer,
  InstancesAnswer,
  OperationAnswer,
  PluginStatus,
} from '../daemon/types.js';
import { exchange, HttpExchangeError } from './http-exchange.js';
import type { HttpAnswer } from './http-exchange.js';

/** Reads answer fast; stop/start/restart wait for plugins and cloud APIs. */
export const READ_TIMEOUT_MS = 15_000;
export const OPERATION_TIMEOUT_MS = 120_000;
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

const UNREACHABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ENOTDIR', 'ENOTSOCK']);

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no socket at that path',
  ECONNREFUSED: 'nothing is listening on the socket',
  EACCES: "permission denied: run as root or as a member of the socket's group",
  EPERM: "permission denied: run as root or as a member of the socket's group",
  ENOTDIR: 'a parent of that path is not a directory',
  ENOTSOCK: 'that path is not a socket',
};

/** The socket is missing, refuses connections, or is not ours to open. */
export class DaemonUnreachableError extends Error {
  override readonly name = 'DaemonUnreachableError';
  constructor(
    readonly socketPath: string,
    readonly errno: string,
  ) {
    super(
      `cannot reach the snoozebot daemon at ${socketPath} (is it running? start it with \`snoozebot daemon\` or ` +
        '`systemctl start snoozebot`; or pass --socket / set SNOOZEBOT_SOCKET)',
    );
  }

  /** Why, in words, e.g. "no socket at that path (ENOENT)". */
  get reason(): string {
    return `${REASONS[this.errno] ?? 'connection failed'} (${this.errno})`;
  }
}

/** The daemon answered with `{ "error": ... }`. */
export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** No answer in time, a connection cut mid-answer, or an answer that is not the API's JSON. */
export class ApiProtocolError extends Error {
  override readonly name = 'ApiProtocolError';
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string';
}

export interface ApiClientOptions {
  readonly socketPath: string;
  readonly readTimeoutMs?: number;
  readonly operationTimeoutMs?: number;
}

export class ApiClient {
  readonly socketPath: string;
  private readonly readTimeoutMs: number;
  private readonly operationTimeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.socketPath = options.socketPath;
    this.readTimeoutMs = options.readTimeoutMs ?? READ_TIMEOUT_MS;
    this.operationTimeoutMs = options.operationTimeoutMs ?? OPERATION_TIMEOUT_MS;
  }

  status(): Promise<DaemonStatus> {
    return this.get('/v1/status');
  }

  async listPlugins(): Promise<PluginStatus[]> {
    const answer = await this.get<{ plugins: PluginStatus[] }>('/v1/plugins');
    if (!Array.isArray(answer.plugins)) throw new ApiProtocolError('the daemon answered /v1/plugins without a "plugins" array');
    return answer.plugins;
  }

  pluginInfo(name: string): Promise<PluginStatus> {
    return this.get(`/v1/plugins/${encodeURIComponent(name)}`);
  }

  pluginAction(name: string, action: 'load' | 'unload' | 'restart'): Promise<PluginStatus> {
    return this.post(`/v1/plugins/${encodeURIComponent(name)}/${action}`, {});
  }

  instanceInfo(plugin?: string): Promise<InstanceAnswer> {
    return this.get(`/v1/instance${pluginQuery(plugin)}`, this.operationTimeoutMs);
  }

  listInstances(plugin?: string): Promise<InstancesAnswer> {
    return this.get(`/v1/instances${pluginQuery(plugin)}`, this.operationTimeoutMs);
  }

  instanceOperation(operation: 'stop' | 'start', plugin?: string): Promise<OperationAnswer> {
    return this.post(`/v1/instance/${operation}`, plugin === undefined ? {} : { plugin });
  }

  get<T>(path: string, timeoutMs = this.readTimeoutMs): Promise<T> {
    return this.request<T>('GET', path, undefined, timeoutMs);
  }

  post<T>(path: string, body: Record<string, unknown>, timeoutMs = this.operationTimeoutMs): Promise<T> {
    return this.request<T>('POST', path, body, timeoutMs);
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body: Record<string, unknown> | undefined, timeoutMs: number): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let answer: HttpAnswer;
    try {
      answer = await exchange(
        this.socketPath,
        { method, path, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) },
        { timeoutMs, maxBytes: MAX_ANSWER_BYTES },
      );
    } catch (error) {
      throw this.exchangeError(method, path, timeoutMs, error);
    }
    const { status } = answer;
    const text = answer.body.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ApiProtocolError(`the daemon answered ${method} ${path} with HTTP ${status} and no JSON: ${text.slice(0, 200)}`);
    }
    if (status >= 200 && status < 300) return value as T;
    if (isErrorBody(value)) throw new ApiRequestError(status, value.error.code, value.error.message, value.error.details ?? {});
    throw new ApiRequestError(status, `HTTP_${status}`, `the daemon answered ${method} ${path} with HTTP ${status}`);
  }

  private exchangeError(method: string, path: string, timeoutMs: number, error: unknown): Error {
    if (!(error instanceof HttpExchangeError)) return error instanceof Error ? error : new Error(String(error));
    const { failure } = error;
    switch (failure.kind) {
      case 'connect':
        return UNREACHABLE_CODES.has(failure.errno)
          ? new DaemonUnreachableError(this.socketPath, failure.errno)
          : new ApiProtocolError(`talking to the daemon at ${this.socketPath}: ${failure.message}`);
      case 'timeout':
        return new ApiProtocolError(`the daemon did not answer ${method} ${path} within ${Math.round(timeoutMs / 1000)} s`);
      case 'too-large':
        return new ApiProtocolError(`the daemon's answer to ${method} ${path} is larger than ${failure.maxBytes} bytes`);
      case 'broken':
        return new ApiProtocolError(`reading the daemon's answer to ${method} ${path}: ${failure.message}`);
    }
  }
}

function pluginQuery(plugin: string | undefined): string {
  return plugin === undefined ? '' : `?plugin=${encodeURIComponent(plugin)}`;
}
