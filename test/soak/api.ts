// Requests to the daemon's API on its unix socket, one connection each
// (agent: false): no keep-alive connection of ours stays open in the daemon,
// so its descriptor count says something about the daemon alone.
import { request } from 'node:http';
import type { PluginStatus } from '../../src/daemon/types.js';

export interface ApiAnswer {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

export function apiRequest(socketPath: string, method: string, path: string, timeoutMs = 10_000): Promise<ApiAnswer> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.once('error', reject);
      res.once('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }),
      );
    });
    req.once('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}

export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** GET /v1/plugins; throws on anything but 200. */
export async function listPlugins(socketPath: string): Promise<PluginStatus[]> {
  const res = await apiRequest(socketPath, 'GET', '/v1/plugins');
  if (res.status !== 200) throw new ApiFailure(`GET /v1/plugins answered ${res.status}: ${res.body.slice(0, 300)}`, res.status);
  return (JSON.parse(res.body) as { plugins: PluginStatus[] }).plugins;
}

/** GET /v1/plugins/{name}; undefined for 404 (not in the directory). */
export async function pluginStatus(socketPath: string, name: string): Promise<PluginStatus | undefined> {
  const res = await apiRequest(socketPath, 'GET', `/v1/plugins/${encodeURIComponent(name)}`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new ApiFailure(`GET /v1/plugins/${name} answered ${res.status}: ${res.body.slice(0, 300)}`, res.status);
  return JSON.parse(res.body) as PluginStatus;
}

/** POST /v1/plugins/{name}/{action}. */
export function pluginAction(socketPath: string, name: string, action: 'load' | 'unload' | 'restart'): Promise<ApiAnswer> {
  return apiRequest(socketPath, 'POST', `/v1/plugins/${encodeURIComponent(name)}/${action}`, 60_000);
}
