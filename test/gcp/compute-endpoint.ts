// A local Compute Engine API (v1 REST, JSON) for tests: node:http on
// 127.0.0.1. Every request must carry a bearer token the metadata server
// issued, with a scope that allows Compute. Instances keep their status;
// stop/suspend/start/resume answer with a zonal operation that goes
// PENDING → RUNNING → DONE over `pollsPerStep` polls each, and the instance
// moves with it (RUNNING → STOPPING → TERMINATED, and so on). instances.list
// filters on a label and paginates. Errors come in Google's JSON error format:
// denied permissions, throttling, a conflict while an operation runs, injected
// faults, operations that stay PENDING or end in an error, a hang.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TokenBook } from './tokens.js';
import { closeServer, listenOnLoopback } from '../helpers/local-server.js';

export type GceStatus =
  | 'PROVISIONING'
  | 'STAGING'
  | 'RUNNING'
  | 'STOPPING'
  | 'TERMINATED'
  | 'SUSPENDING'
  | 'SUSPENDED';

export interface InstanceSeed {
  readonly name: string;
  readonly id?: string;
  readonly zone?: string;
  readonly machineType?: string;
  readonly status?: GceStatus;
  readonly labels?: Readonly<Record<string, string>>;
  readonly createdBy?: string;
  readonly lastStartTimestamp?: string;
}

interface Instance {
  readonly name: string;
  readonly id: string;
  readonly zone: string;
  readonly machineType: string;
  status: GceStatus;
  readonly labels: Readonly<Record<string, string>>;
  readonly createdBy: string | undefined;
  lastStartTimestamp: string;
  /** The operation changing it, if any. */
  busy: string | undefined;
}

type Action = 'stop' | 'suspend' | 'start' | 'resume';

interface Operation {
  readonly name: string;
  readonly id: string;
  readonly action: Action;
  readonly instance: string;
  readonly zone: string;
  status: 'PENDING' | 'RUNNING' | 'DONE';
  polls: number;
  readonly query: Readonly<Record<string, string>>;
  readonly fail: { readonly code: string; readonly message: string; readonly http: number } | undefined;
  readonly stall: boolean;
}

export interface ComputeFault {
  readonly status: number;
  readonly reason: string;
  readonly message?: string;
  /** AIP-193 status name, e.g. RESOURCE_EXHAUSTED. */
  readonly grpcStatus?: string;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  kind: string;
  status: number;
  reason: string | undefined;
}

export interface ComputeEndpointOptions {
  readonly project: string;
  readonly zone: string;
  readonly tokens: TokenBook;
  readonly instances?: readonly InstanceSeed[];
  /** Polls an operation spends in PENDING, then in RUNNING (default 1 each). */
  readonly pollsPerStep?: number;
  /** Largest page instances.list answers, whatever maxResults says. */
  readonly pageLimit?: number;
}

const COMPUTE_SCOPES = new Set([
  'https://www.googleapis.com/auth/compute',
  'https://www.googleapis.com/auth/cloud-platform',
]);

const BEFORE: Readonly<Record<Action, GceStatus>> = { stop: 'STOPPING', suspend: 'SUSPENDING', start: 'STAGING', resume: 'STAGING' };
const AFTER: Readonly<Record<Action, GceStatus>> = { stop: 'TERMINATED', suspend: 'SUSPENDED', start: 'RUNNING', resume: 'RUNNING' };

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly grpcStatus?: string,
  ) {
    super(message);
  }
}

/** Google's JSON error body. */
export function googleError(status: number, reason: string, message: string, grpcStatus?: string): string {
  return JSON.stringify({
    error: {
      code: status,
      message,
      errors: [{ message, domain: reason === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT' ? 'googleapis.com' : 'global', reason }],
      ...(grpcStatus === undefined ? {} : { status: grpcStatus }),
    },
  });
}

function permissionMessage(permission: string, resource: string): string {
  return `Required '${permission}' permission for '${resource}'`;
}

export class ComputeEndpoint {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #options: ComputeEndpointOptions;
  readonly #instances = new Map<string, Instance>();
  readonly #operations = new Map<string, Operation>();
  readonly #denied = new Set<string>();
  readonly #faults: { kind: string; fault: ComputeFault; times: number }[] = [];
  #operationFault: { code: string; message: string; http: number } | undefined;
  #stallOperations = false;
  #hang = false;
  #port = 0;

  private constructor(options: ComputeEndpointOptions) {
    this.#options = options;
    for (const seed of options.instances ?? []) this.addInstance(seed);
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(options: ComputeEndpointOptions): Promise<ComputeEndpoint> {
    const endpoint = new ComputeEndpoint(options);
    endpoint.#port = await listenOnLoopback(endpoint.#server);
    return endpoint;
  }

  /** The API root, as SNOOZEBOT_GCP_COMPUTE_ENDPOINT takes it. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}/compute/v1`;
  }

  addInstance(seed: InstanceSeed): void {
    this.#instances.set(seed.name, {
      name: seed.name,
      id: seed.id ?? String(1_000_000_000_000_000_000n + BigInt(this.#instances.size)),
      zone: seed.zone ?? this.#options.zone,
      machineType: seed.machineType ?? 'e2-medium',
      status: seed.status ?? 'RUNNING',
      labels: seed.labels ?? {},
      createdBy: seed.createdBy,
      lastStartTimestamp: seed.lastStartTimestamp ?? '2024-03-04T05:06:07.000-08:00',
      busy: undefined,
    });
  }

  status(name: string): GceStatus {
    const found = this.#instances.get(name);
    if (found === undefined) throw new Error(`no instance ${name} on this endpoint`);
    return found.status;
  }

  setStatus(name: string, status: GceStatus): void {
    const found = this.#instances.get(name);
    if (found === undefined) throw new Error(`no instance ${name} on this endpoint`);
    found.status = status;
  }

  /** Like a role without `permission` (e.g. compute.instances.stop). */
  deny(permission: string): void {
    this.#denied.add(permission);
  }

  /** Answers the next `times` requests of `kind` (e.g. "instances.stop", or "*") with `fault`. */
  failNext(kind: string, fault: ComputeFault, times = 1): void {
    this.#faults.push({ kind, fault, times });
  }

  failAlways(kind: string, fault: ComputeFault): void {
    this.failNext(kind, fault, Number.POSITIVE_INFINITY);
  }

  /** The next operations end DONE with this error (e.g. ZONE_RESOURCE_POOL_EXHAUSTED). */
  failOperations(code: string, message: string, http = 503): void {
    this.#operationFault = { code, message, http };
  }

  /** The next operations stay PENDING for ever. */
  stallOperations(stall = true): void {
    this.#stallOperations = stall;
  }

  /** Requests are read and never answered. */
  hang(on = true): void {
    this.#hang = on;
  }

  clearFaults(): void {
    this.#faults.length = 0;
    this.#denied.clear();
    this.#operationFault = undefined;
    this.#stallOperations = false;
    this.#hang = false;
  }

  calls(kind: string): RecordedRequest[] {
    return this.requests.filter((r) => r.kind === kind);
  }

  close(): Promise<void> {
    return closeServer(this.#server);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for await (const _chunk of req) {
      // bodies are not used: every call takes its arguments in the path and query
    }
    const url = new URL(req.url ?? '/', 'http://compute');
    const query = Object.fromEntries(url.searchParams);
    const record: RecordedRequest = { method: req.method ?? '', path: url.pathname, query, kind: '', status: 0, reason: undefined };
    this.requests.push(record);
    if (this.#hang) return;
    const send = (status: number, body: unknown) => {
      record.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    try {
      const route = this.#route(req.method ?? '', url.pathname);
      record.kind = route.kind;
      this.#authorize(req, route.kind, route.resource);
      const fault = this.#takeFault(route.kind);
      if (fault !== undefined) {
        throw new ApiError(fault.status, fault.reason, fault.message ?? `${fault.reason} (injected by the test)`, fault.grpcStatus);
      }
      send(200, route.run(query));
    } catch (error) {
      const failure = error instanceof ApiError ? error : new ApiError(500, 'backendError', `test endpoint bug: ${String(error)}`);
      record.reason = failure.reason;
      send(failure.status, googleError(failure.status, failure.reason, failure.message, failure.grpcStatus));
    }
  }

  #takeFault(kind: string): ComputeFault | undefined {
    const index = this.#faults.findIndex((f) => f.kind === kind || f.kind === '*');
    const entry = this.#faults[index];
    if (entry === undefined) return undefined;
    entry.times -= 1;
    if (entry.times <= 0) this.#faults.splice(index, 1);
    return entry.fault;
  }

  #authorize(req: IncomingMessage, kind: string, resource: string): void {
    const header = req.headers.authorization ?? '';
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    const issued = token === undefined ? undefined : this.#options.tokens.lookup(token);
    if (issued === undefined) {
      throw new ApiError(
        401,
        'required',
        'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        'UNAUTHENTICATED',
      );
    }
    if (!issued.scopes.some((s) => COMPUTE_SCOPES.has(s))) {
      throw new ApiError(403, 'ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'Request had insufficient authentication scopes.', 'PERMISSION_DENIED');
    }
    const permission = `compute.${kind}`;
    if (this.#denied.has(permission)) throw new ApiError(403, 'forbidden', permissionMessage(permission, resource));
  }

  #route(method: string, path: string): { kind: string; resource: string; run: (query: Record<string, string>) => unknown } {
    const m = /^\/compute\/v1\/projects\/([^/]+)\/zones\/([^/]+)\/(instances|operations)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path);
    if (m === null) throw new ApiError(404, 'notFound', `The requested URL ${path} was not found on this server.`);
    const [, project = '', zone = '', collection = '', name, verb] = m;
    const zoneResource = `projects/${project}/zones/${zone}`;
    if (project !== this.#options.project) {
      throw new ApiError(404, 'notFound', `The resource 'projects/${project}' was not found`);
    }
    if (zone !== this.#options.zone) throw new ApiError(400, 'invalid', `Invalid value for field 'zone': '${zone}'. Unknown zone.`);
    if (collection === 'operations') {
      if (method !== 'GET' || name === undefined || verb !== undefined) throw new ApiError(404, 'notFound', `No route for ${method} ${path}`);
      return { kind: 'zoneOperations.get', resource: `${zoneResource}/operations/${name}`, run: () => this.#poll(zoneResource, name) };
    }
    if (name === undefined) {
      if (method !== 'GET') throw new ApiError(405, 'methodNotAllowed', `${method} is not allowed here`);
      return { kind: 'instances.list', resource: zoneResource, run: (q) => this.#list(zoneResource, q) };
    }
    const resource = `${zoneResource}/instances/${name}`;
    if (verb === undefined) {
      if (method !== 'GET') throw new ApiError(405, 'methodNotAllowed', `${method} is not allowed here`);
      return { kind: 'instances.get', resource, run: () => this.#view(this.#find(resource, name)) };
    }
    if (method !== 'POST' || !['stop', 'suspend', 'start', 'resume'].includes(verb)) {
      throw new ApiError(404, 'notFound', `No route for ${method} ${path}`);
    }
    const action = verb as Action;
    return { kind: `instances.${action}`, resource, run: (q) => this.#act(zoneResource, resource, name, action, q) };
  }

  #find(resource: string, name: string): Instance {
    const found = this.#instances.get(name);
    if (found === undefined) throw new ApiError(404, 'notFound', `The resource '${resource}' was not found`);
    return found;
  }

  #view(instance: Instance): unknown {
    const base = `${this.url}/projects/${this.#options.project}/zones/${instance.zone}`;
    return {
      kind: 'compute#instance',
      id: instance.id,
      name: instance.name,
      zone: `${this.url}/projects/${this.#options.project}/zones/${instance.zone}`,
      machineType: `${base}/machineTypes/${instance.machineType}`,
      status: instance.status,
      labels: instance.labels,
      creationTimestamp: '2023-01-02T03:04:05.000-08:00',
      lastStartTimestamp: instance.lastStartTimestamp,
      metadata: { kind: 'compute#metadata', items: instance.createdBy === undefined ? [] : [{ key: 'created-by', value: instance.createdBy }] },
      selfLink: `${base}/instances/${instance.name}`,
    };
  }

  #list(zoneResource: string, query: Readonly<Record<string, string>>): unknown {
    let all = [...this.#instances.values()];
    const filter = query.filter;
    if (filter !== undefined) {
      const m = /^labels\.([a-z][a-z0-9_-]*) = "([a-z0-9_-]*)"$/.exec(filter);
      if (m === null) throw new ApiError(400, 'invalid', `Invalid value for field 'filter': '${filter}'. Invalid list filter expression.`);
      all = all.filter((i) => i.labels[m[1] ?? ''] === m[2]);
    }
    const max = Math.min(Number(query.maxResults ?? 500), this.#options.pageLimit ?? 500);
    const start = query.pageToken === undefined ? 0 : Number(Buffer.from(query.pageToken, 'base64url').toString());
    const page = all.slice(start, start + max);
    const next = start + max < all.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
    return {
      kind: 'compute#instanceList',
      id: `${zoneResource}/instances`,
      items: page.map((i) => this.#view(i)),
      ...(next === undefined ? {} : { nextPageToken: next }),
    };
  }

  #act(zoneResource: string, resource: string, name: string, action: Action, query: Readonly<Record<string, string>>): unknown {
    const instance = this.#find(resource, name);
    if (instance.busy !== undefined) {
      throw new ApiError(400, 'resourceNotReady', `The resource '${resource}' is not ready`);
    }
    if (action === 'suspend' && instance.status !== 'RUNNING') {
      throw new ApiError(400, 'badRequest', `Instance '${name}' cannot be suspended in status ${instance.status}.`);
    }
    if (action === 'resume' && instance.status !== 'SUSPENDED') {
      throw new ApiError(400, 'badRequest', `Instance '${name}' cannot be resumed in status ${instance.status}.`);
    }
    const already = (action === 'stop' && instance.status === 'TERMINATED') || (action === 'start' && instance.status === 'RUNNING');
    const id = String(BigInt(Date.now()) * 1000n + BigInt(this.#operations.size));
    const operation: Operation = {
      name: `operation-${Date.now()}-${randomUUID().slice(0, 8)}`,
      id,
      action,
      instance: name,
      zone: this.#options.zone,
      status: already ? 'DONE' : 'PENDING',
      polls: 0,
      query,
      fail: this.#operationFault,
      stall: this.#stallOperations,
    };
    this.#operations.set(operation.name, operation);
    if (!already) {
      instance.busy = operation.name;
      instance.status = BEFORE[action];
    }
    return this.#operationView(zoneResource, operation);
  }

  #poll(zoneResource: string, name: string): unknown {
    const operation = this.#operations.get(name);
    if (operation === undefined) throw new ApiError(404, 'notFound', `The resource '${zoneResource}/operations/${name}' was not found`);
    if (operation.status !== 'DONE' && !operation.stall) {
      operation.polls += 1;
      const step = this.#options.pollsPerStep ?? 1;
      if (operation.status === 'PENDING' && operation.polls >= step) {
        operation.status = 'RUNNING';
        operation.polls = 0;
      } else if (operation.status === 'RUNNING' && operation.polls >= step) {
        operation.status = 'DONE';
        const instance = this.#instances.get(operation.instance);
        if (instance !== undefined) {
          instance.busy = undefined;
          if (operation.fail === undefined) {
            instance.status = AFTER[operation.action];
            if (instance.status === 'RUNNING') instance.lastStartTimestamp = new Date().toISOString();
          } else {
            instance.status = operation.action === 'start' || operation.action === 'resume' ? 'TERMINATED' : 'RUNNING';
          }
        }
      }
    }
    return this.#operationView(zoneResource, operation);
  }

  /** The query of the request that started each operation, in order. */
  operations(): { action: Action; instance: string; query: Readonly<Record<string, string>>; status: string }[] {
    return [...this.#operations.values()].map((o) => ({ action: o.action, instance: o.instance, query: o.query, status: o.status }));
  }

  #operationView(zoneResource: string, operation: Operation): unknown {
    const failed = operation.status === 'DONE' && operation.fail !== undefined;
    return {
      kind: 'compute#operation',
      id: operation.id,
      name: operation.name,
      zone: `${this.url}/${zoneResource}`,
      operationType: operation.action,
      targetLink: `${this.url}/${zoneResource}/instances/${operation.instance}`,
      status: operation.status,
      progress: operation.status === 'DONE' ? 100 : 0,
      insertTime: new Date().toISOString(),
      selfLink: `${this.url}/${zoneResource}/operations/${operation.name}`,
      ...(failed && operation.fail !== undefined
        ? {
            error: { errors: [{ code: operation.fail.code, message: operation.fail.message }] },
            httpErrorStatusCode: operation.fail.http,
            httpErrorMessage: 'SERVICE UNAVAILABLE',
          }
        : {}),
    };
  }
}
