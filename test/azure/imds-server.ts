// A local Azure Instance Metadata Service for tests: instance metadata
// (GET /metadata/instance/compute) and managed-identity tokens
// (GET /metadata/identity/oauth2/token), each only with `Metadata: true`, an
// api-version, and not through a proxy, answered as IMDS answers (JSON, its
// error shapes). The VM's identities decide which token requests succeed:
// none assigned is "Identity not found", as on a VM without one. It can hang
// instead of answering.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from '../helpers/local-server.js';

export interface AzureIdentity {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly vmName: string;
  readonly vmId: string;
  readonly vmSize: string;
  readonly location: string;
  readonly zone: string;
  readonly scaleSet?: string;
}

export interface Identities {
  readonly systemAssigned: boolean;
  /** Client ids of user-assigned identities. */
  readonly userAssigned: readonly string[];
}

export interface IssuedToken {
  readonly resource: string;
  /** "system" or a user-assigned identity's client id. */
  readonly identity: string;
}

/** Tokens IMDS hands out and the local ARM accepts. */
export class TokenStore {
  readonly #tokens = new Map<string, IssuedToken>();

  issue(resource: string, identity: string): string {
    const token = `eyJ0eXAiOiJKV1QifQ.snoozebot-test.${randomBytes(24).toString('base64url')}`;
    this.#tokens.set(token, { resource, identity });
    return token;
  }

  lookup(token: string): IssuedToken | undefined {
    return this.#tokens.get(token);
  }
}

export interface ImdsRequest {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly metadataHeader: boolean;
  status: number | undefined;
}

export class AzureImdsServer {
  readonly requests: ImdsRequest[] = [];
  readonly #server: Server;
  readonly #identity: AzureIdentity;
  readonly #identities: Identities;
  readonly #tokens: TokenStore;
  #mode: 'serving' | 'hang' = 'serving';
  #port = 0;

  private constructor(identity: AzureIdentity, identities: Identities, tokens: TokenStore) {
    this.#identity = identity;
    this.#identities = identities;
    this.#tokens = tokens;
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  static async start(identity: AzureIdentity, identities: Identities, tokens: TokenStore): Promise<AzureImdsServer> {
    const server = new AzureImdsServer(identity, identities, tokens);
    server.#port = await listenOnLoopback(server.#server);
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  setMode(mode: 'serving' | 'hang'): void {
    this.#mode = mode;
  }

  tokenRequests(): ImdsRequest[] {
    return this.requests.filter((r) => r.path === '/metadata/identity/oauth2/token');
  }

  close(): Promise<void> {
    return closeServer(this.#server);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://imds');
    const query = Object.fromEntries(url.searchParams);
    // IMDS takes its paths with or without a trailing slash (@azure/identity sends one).
    const record: ImdsRequest = { path: url.pathname.replace(/(.)\/$/, '$1'), query, metadataHeader: req.headers.metadata === 'true', status: undefined };
    this.requests.push(record);
    req.resume();
    if (this.#mode === 'hang') return;
    const send = (status: number, body: unknown) => {
      record.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', Server: 'IMDS/150.870.65.1854' });
      res.end(JSON.stringify(body));
    };
    if (req.headers['x-forwarded-for'] !== undefined) return send(403, { error: 'Forbidden. Request must not contain an X-Forwarded-For header' });
    if (!record.metadataHeader) return send(400, { error: 'Bad request. Required metadata header not specified' });
    if (query['api-version'] === undefined) {
      return send(400, { error: 'Bad request. api-version was not specified in the request. For more information refer to aka.ms/azureimds', 'newest-versions': ['2023-07-01', '2021-12-13', '2021-02-01'] });
    }
    if (req.method !== 'GET') return send(405, { error: 'Method not allowed' });
    if (record.path === '/metadata/instance/compute') return send(200, this.#compute());
    if (record.path === '/metadata/identity/oauth2/token') return this.#token(query, send);
    send(404, { error: 'Not found' });
  }

  #compute(): unknown {
    const i = this.#identity;
    return {
      azEnvironment: 'AzurePublicCloud',
      location: i.location,
      name: i.vmName,
      osType: 'Linux',
      resourceGroupName: i.resourceGroup,
      resourceId: `/subscriptions/${i.subscriptionId}/resourceGroups/${i.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${i.vmName}`,
      subscriptionId: i.subscriptionId,
      tagsList: [],
      vmId: i.vmId,
      vmScaleSetName: i.scaleSet ?? '',
      vmSize: i.vmSize,
      zone: i.zone,
    };
  }

  #token(query: Readonly<Record<string, string>>, send: (status: number, body: unknown) => void): void {
    const resource = query.resource;
    if (resource === undefined || resource === '') {
      return send(400, { error: 'invalid_request', error_description: 'Required query variable \'resource\' is missing' });
    }
    const clientId = query.client_id;
    const { systemAssigned, userAssigned } = this.#identities;
    let identity: string | undefined;
    if (clientId !== undefined) identity = userAssigned.includes(clientId) ? clientId : undefined;
    else if (systemAssigned) identity = 'system';
    else if (userAssigned.length === 1) identity = userAssigned[0];
    if (identity === undefined) return send(400, { error: 'invalid_request', error_description: 'Identity not found' });
    const now = Math.floor(Date.now() / 1000);
    send(200, {
      access_token: this.#tokens.issue(resource, identity),
      client_id: identity === 'system' ? '00000000-0000-0000-0000-00000000a11c' : identity,
      expires_in: '86399',
      expires_on: String(now + 86_399),
      ext_expires_in: '86399',
      not_before: String(now - 5),
      resource,
      token_type: 'Bearer',
    });
  }
}
