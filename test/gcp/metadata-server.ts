// A local GCE metadata server for tests: /computeMetadata/v1/… answered only
// to requests carrying `Metadata-Flavor: Google` (403 otherwise, and for
// requests that went through a proxy), every answer with that header too.
// It knows the instance's identity, its `created-by` attribute (a managed
// instance group), and hands out access tokens for the instance's service
// account (none attached: 404, as on an instance without one). It can hang
// instead of answering.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TokenBook } from './tokens.js';
import { closeServer, listenOnLoopback } from '../helpers/local-server.js';

export interface GceIdentity {
  readonly project: string;
  readonly numericProject: string;
  readonly zone: string;
  readonly instance: string;
  readonly instanceId: string;
  readonly machineType: string;
}

export interface MetadataOptions extends GceIdentity {
  readonly tokens: TokenBook;
  /** The instance's service account and its access scopes; undefined: no service account attached. */
  readonly serviceAccount?: { readonly email: string; readonly scopes: readonly string[] } | undefined;
  /** The created-by attribute. */
  readonly createdBy?: string;
}

export interface MetadataRequest {
  readonly path: string;
  readonly flavored: boolean;
  status: number | undefined;
}

export class MetadataServer {
  readonly requests: MetadataRequest[] = [];
  readonly #server: Server;
  readonly #options: MetadataOptions;
  #mode: 'serving' | 'hang' = 'serving';
  #port = 0;

  private constructor(options: MetadataOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  static async start(options: MetadataOptions): Promise<MetadataServer> {
    const server = new MetadataServer(options);
    server.#port = await listenOnLoopback(server.#server);
    return server;
  }

  /** host:port, as GCE_METADATA_HOST takes it. */
  get host(): string {
    return `127.0.0.1:${this.#port}`;
  }

  get url(): string {
    return `http://${this.host}`;
  }

  setMode(mode: 'serving' | 'hang'): void {
    this.#mode = mode;
  }

  /** Token requests made so far. */
  tokenRequests(): MetadataRequest[] {
    return this.requests.filter((r) => r.path.includes('/service-accounts/'));
  }

  close(): Promise<void> {
    return closeServer(this.#server);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://metadata');
    const record: MetadataRequest = { path: url.pathname, flavored: req.headers['metadata-flavor'] === 'Google', status: undefined };
    this.requests.push(record);
    req.resume();
    if (this.#mode === 'hang') return;
    const send = (status: number, body: string, type = 'application/text') => {
      record.status = status;
      res.writeHead(status, { 'Metadata-Flavor': 'Google', 'Content-Type': type, Server: 'Metadata Server for VM' });
      res.end(body);
    };
    if (req.headers['x-forwarded-for'] !== undefined) return send(403, 'Request had an X-Forwarded-For header and was rejected.');
    if (!record.flavored) return send(403, 'Missing Metadata-Flavor:Google header.', 'text/html');
    if (req.method !== 'GET') return send(405, 'Method not allowed');
    const prefix = '/computeMetadata/v1/';
    if (!url.pathname.startsWith(prefix)) return send(404, 'Not found');
    const key = url.pathname.slice(prefix.length).replace(/\/$/, '');
    const o = this.#options;
    const account = o.serviceAccount;
    if (key === `instance/service-accounts/default/token` || (account !== undefined && key === `instance/service-accounts/${account.email}/token`)) {
      if (account === undefined) return send(404, 'Not found');
      // The token carries the instance's access scopes, whatever `scopes` the client asked for.
      const token = o.tokens.issue(account.email, account.scopes);
      return send(200, JSON.stringify({ access_token: token, expires_in: 3599, token_type: 'Bearer' }), 'application/json');
    }
    const values: Record<string, string> = {
      'project/project-id': o.project,
      'project/numeric-project-id': o.numericProject,
      'instance/id': o.instanceId,
      'instance/name': o.instance,
      'instance/zone': `projects/${o.numericProject}/zones/${o.zone}`,
      'instance/machine-type': `projects/${o.numericProject}/machineTypes/${o.machineType}`,
      // The directory listing google-auth-library reads to tell it is on GCE.
      instance: 'attributes/\nhostname\nid\nmachine-type\nname\nservice-accounts/\nzone\n',
      'instance/service-accounts': account === undefined ? '' : `default/\n${account.email}/\n`,
    };
    if (o.createdBy !== undefined) values['instance/attributes/created-by'] = o.createdBy;
    const value = values[key];
    if (value === undefined) return send(404, 'Not found', 'text/html');
    send(200, value);
  }
}
