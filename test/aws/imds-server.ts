// A local instance metadata service for tests, IMDSv2 only: PUT
// /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds gives a token,
// and every GET must carry it (401 without it or with a wrong or expired
// one). It can hang instead of answering, and unreachableEndpoint() gives an
// address where nothing listens.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestCredentials } from './sigv4.js';

export interface ImdsIdentity {
  readonly instanceId: string;
  readonly region: string;
  readonly zone: string;
  readonly type: string;
}

export interface ImdsRole {
  readonly name: string;
  readonly credentials: TestCredentials & { readonly sessionToken: string };
}

export interface ImdsOptions extends ImdsIdentity {
  /** An instance role whose credentials IMDS hands out; none means no role attached. */
  readonly role?: ImdsRole;
}

export type ImdsMode = 'serving' | 'hang';

export interface ImdsRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly withToken: boolean;
}

const MAX_TTL_SECONDS = 21_600;

export class ImdsServer {
  readonly requests: ImdsRequest[] = [];
  readonly #server: Server;
  readonly #options: ImdsOptions;
  readonly #tokens = new Map<string, number>();
  #mode: ImdsMode = 'serving';
  #port = 0;

  private constructor(options: ImdsOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  static async start(options: ImdsOptions): Promise<ImdsServer> {
    const server = new ImdsServer(options);
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', reject);
      server.#server.listen(0, '127.0.0.1', () => resolve());
    });
    server.#port = (server.#server.address() as AddressInfo).port;
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** "hang": requests are read and never answered (until close()). */
  setMode(mode: ImdsMode): void {
    this.#mode = mode;
  }

  /** Every token handed out so far stops working, as after their TTL. */
  expireTokens(): void {
    for (const token of this.#tokens.keys()) this.#tokens.set(token, 0);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    // The metadata client joins its endpoint's "/" and "/latest/…" into "//latest/…"; IMDS takes both.
    const path = (req.url ?? '/').split('?')[0]?.replace(/\/{2,}/g, '/') ?? '/';
    const token = req.headers['x-aws-ec2-metadata-token'];
    const record: { method: string; path: string; status: number | undefined; withToken: boolean } = {
      method: req.method ?? '',
      path,
      status: undefined,
      withToken: typeof token === 'string',
    };
    this.requests.push(record);
    req.resume();
    if (this.#mode === 'hang') return;
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'text/plain', ...headers });
      res.end(body);
    };

    if (path === '/latest/api/token') {
      if (req.method !== 'PUT') return send(405, 'Method Not Allowed');
      // IMDS refuses token requests that went through a proxy.
      if (req.headers['x-forwarded-for'] !== undefined) return send(403, 'Forbidden');
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) return send(400, 'Bad Request');
      const issued = `AQAEA${randomBytes(24).toString('base64url')}==`;
      this.#tokens.set(issued, Date.now() + ttl * 1000);
      return send(200, issued, { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
    }
    if (req.method !== 'GET') return send(405, 'Method Not Allowed');
    const expires = typeof token === 'string' ? this.#tokens.get(token) : undefined;
    if (expires === undefined || expires < Date.now()) return send(401, 'Unauthorized');

    const value = this.#metadata(path);
    if (value === undefined) return send(404, 'Not Found');
    send(200, value);
  }

  #metadata(path: string): string | undefined {
    const { instanceId, region, zone, type, role } = this.#options;
    const prefix = '/latest/meta-data/';
    if (!path.startsWith(prefix)) return undefined;
    const key = path.slice(prefix.length);
    const values: Record<string, string> = {
      'instance-id': instanceId,
      'instance-type': type,
      'placement/region': region,
      'placement/availability-zone': zone,
    };
    if (role !== undefined) {
      values['iam/security-credentials/'] = role.name;
      values[`iam/security-credentials/${role.name}`] = JSON.stringify({
        Code: 'Success',
        LastUpdated: new Date().toISOString(),
        Type: 'AWS-HMAC',
        AccessKeyId: role.credentials.accessKeyId,
        SecretAccessKey: role.credentials.secretAccessKey,
        Token: role.credentials.sessionToken,
        Expiration: new Date(Date.now() + 6 * 3600_000).toISOString(),
      });
    }
    return values[key];
  }
}

/** An http:// address on 127.0.0.1 where nothing listens (a port just freed). */
export async function unreachableEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
