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

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
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

  private request<T>(method: 'GET' | 'POST', path: string, body: Record<string, unknown> | undefined, timeoutMs: number): Promise<T> {
    // Loaded here, not imported at the top: loading node:http is a good part of a CLI start, and --help,
    // --version and usage errors need none of it.
    const { request } = process.getBuiltinModule('node:http');
    const { connect } = process.getBuiltinModule('node:net');
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json', connection: 'close' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        req.destroy();
        reject(error);
      };
      // Our own connection, not an Agent's: an Agent works out a TLS server name for every socket it opens
      // (net.isIP("localhost")), and compiling that check's IPv6 pattern was a fifth of `plugins list`.
      const req = request({ createConnection: () => connect(this.socketPath), path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) fail(new ApiProtocolError(`the daemon's answer to ${method} ${path} is larger than ${MAX_ANSWER_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', (error) => fail(new ApiProtocolError(`reading the daemon's answer to ${method} ${path}: ${error.message}`)));
        res.on('end', () => {
          if (settled) return;
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch {
            fail(new ApiProtocolError(`the daemon answered ${method} ${path} with HTTP ${status} and no JSON: ${text.slice(0, 200)}`));
            return;
          }
          if (status >= 200 && status < 300) {
            settled = true;
            resolve(value as T);
          } else if (isErrorBody(value)) {
            fail(new ApiRequestError(status, value.error.code, value.error.message, value.error.details ?? {}));
          } else {
            fail(new ApiRequestError(status, `HTTP_${status}`, `the daemon answered ${method} ${path} with HTTP ${status}`));
          }
        });
      });
      req.setTimeout(timeoutMs, () =>
        fail(new ApiProtocolError(`the daemon did not answer ${method} ${path} within ${Math.round(timeoutMs / 1000)} s`)),
      );
      req.on('error', (error) => {
        const code = errnoCode(error);
        if (code !== undefined && UNREACHABLE_CODES.has(code)) fail(new DaemonUnreachableError(this.socketPath, code));
        else fail(new ApiProtocolError(`talking to the daemon at ${this.socketPath}: ${error.message}`));
      });
      req.end(payload);
    });
  }
}

function pluginQuery(plugin: string | undefined): string {
  return plugin === undefined ? '' : `?plugin=${encodeURIComponent(plugin)}`;
}
