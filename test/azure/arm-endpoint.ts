// A local Azure Resource Manager (Microsoft.Compute virtualMachines) for
// tests, over HTTPS with a certificate from a CA made for the test: Azure's
// client sends bearer tokens over HTTPS only. Every request needs an
// api-version and a token the local IMDS issued for this endpoint's audience.
// VMs keep their power state; deallocate (optionally hibernate), powerOff and
// start answer 202 with Azure-AsyncOperation and Location headers, and the
// operation reads InProgress for `pollsPerStep` polls before Succeeded (or
// Failed, on request). Errors come in ARM's JSON shape: AuthorizationFailed
// for a denied action, ResourceNotFound, 429 TooManyRequests with Retry-After,
// 409 while another operation runs, injected faults, a hang.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenStore } from './imds-server.js';
import { closeServer, listenOnLoopback } from '../helpers/local-server.js';

export type PowerState = 'running' | 'starting' | 'stopping' | 'stopped' | 'deallocating' | 'deallocated';
type Change = 'deallocate' | 'hibernate' | 'powerOff' | 'start';

export interface VmSeed {
  readonly name: string;
  readonly vmId?: string;
  readonly vmSize?: string;
  readonly zone?: string;
  readonly power?: PowerState;
  readonly tags?: Readonly<Record<string, string>>;
  readonly hibernationEnabled?: boolean;
  readonly scaleSet?: string;
  readonly timeCreated?: string;
}

interface Vm {
  readonly name: string;
  readonly vmId: string;
  readonly vmSize: string;
  readonly zone: string | undefined;
  power: PowerState;
  hibernated: boolean;
  readonly tags: Readonly<Record<string, string>>;
  readonly hibernationEnabled: boolean;
  readonly scaleSet: string | undefined;
  readonly timeCreated: string;
  busy: string | undefined;
}

interface Operation {
  readonly id: string;
  readonly vm: string;
  readonly change: Change;
  polls: number;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  readonly fail: { readonly code: string; readonly message: string } | undefined;
  readonly stall: boolean;
}

export interface ArmFault {
  readonly status: number;
  readonly code: string;
  readonly message?: string;
  /** Seconds, sent as Retry-After (ARM sends it with 429). */
  readonly retryAfter?: number;
}

export interface ArmRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  kind: string;
  status: number;
  code: string | undefined;
}

export interface ArmEndpointOptions {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly tokens: TokenStore;
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  readonly vms?: readonly VmSeed[];
  /** Polls an operation reads InProgress (default 2). */
  readonly pollsPerStep?: number;
  /** Largest page of a list (default 50). */
  readonly pageLimit?: number;
}

const DURING: Readonly<Record<Change, PowerState>> = { deallocate: 'deallocating', hibernate: 'deallocating', powerOff: 'stopping', start: 'starting' };
const AFTER: Readonly<Record<Change, PowerState>> = { deallocate: 'deallocated', hibernate: 'deallocated', powerOff: 'stopped', start: 'running' };
const ACTION: Readonly<Record<string, string>> = {
  get: 'Microsoft.Compute/virtualMachines/read',
  instanceView: 'Microsoft.Compute/virtualMachines/read',
  list: 'Microsoft.Compute/virtualMachines/read',
  deallocate: 'Microsoft.Compute/virtualMachines/deallocate/action',
  powerOff: 'Microsoft.Compute/virtualMachines/powerOff/action',
  start: 'Microsoft.Compute/virtualMachines/start/action',
  operation: 'Microsoft.Compute/locations/operations/read',
};

class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export class ArmEndpoint {
  readonly requests: ArmRequest[] = [];
  readonly #server: Server;
  readonly #options: ArmEndpointOptions;
  readonly #vms = new Map<string, Vm>();
  readonly #operations = new Map<string, Operation>();
  readonly #denied = new Set<string>();
  readonly #faults: { kind: string; fault: ArmFault; times: number }[] = [];
  #operationFault: { code: string; message: string } | undefined;
  #stall = false;
  #hang = false;
  #port = 0;

  private constructor(options: ArmEndpointOptions) {
    this.#options = options;
    for (const seed of options.vms ?? []) this.addVm(seed);
    this.#server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => void this.#handle(req, res));
  }

  static async start(options: ArmEndpointOptions): Promise<ArmEndpoint> {
    const endpoint = new ArmEndpoint(options);
    endpoint.#port = await listenOnLoopback(endpoint.#server);
    return endpoint;
  }

  get url(): string {
    return `https://127.0.0.1:${this.#port}`;
  }

  addVm(seed: VmSeed): void {
    this.#vms.set(seed.name, {
      name: seed.name,
      vmId: seed.vmId ?? randomUUID(),
      vmSize: seed.vmSize ?? 'Standard_B2s',
      zone: seed.zone,
      power: seed.power ?? 'running',
      hibernated: false,
      tags: seed.tags ?? {},
      hibernationEnabled: seed.hibernationEnabled ?? false,
      scaleSet: seed.scaleSet,
      timeCreated: seed.timeCreated ?? '2024-03-04T05:06:07.0000000+00:00',
      busy: undefined,
    });
  }

  power(name: string): PowerState {
    const vm = this.#vms.get(name);
    if (vm === undefined) throw new Error(`no VM ${name} on this endpoint`);
    return vm.power;
  }

  hibernated(name: string): boolean {
    return this.#vms.get(name)?.hibernated ?? false;
  }

  /** Like a role without `action` (e.g. Microsoft.Compute/virtualMachines/deallocate/action). */
  deny(action: string): void {
    this.#denied.add(action);
  }

  failNext(kind: string, fault: ArmFault, times = 1): void {
    this.#faults.push({ kind, fault, times });
  }

  failAlways(kind: string, fault: ArmFault): void {
    this.failNext(kind, fault, Number.POSITIVE_INFINITY);
  }

  /** The next operations end Failed with this error. */
  failOperations(code: string, message: string): void {
    this.#operationFault = { code, message };
  }

  /** The next operations stay InProgress for ever. */
  stallOperations(stall = true): void {
    this.#stall = stall;
  }

  hang(on = true): void {
    this.#hang = on;
  }

  clearFaults(): void {
    this.#faults.length = 0;
    this.#denied.clear();
    this.#operationFault = undefined;
    this.#stall = false;
    this.#hang = false;
  }

  calls(kind: string): ArmRequest[] {
    return this.requests.filter((r) => r.kind === kind);
  }

  close(): Promise<void> {
    return closeServer(this.#server);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for await (const _chunk of req) {
      // the calls used take no body
    }
    const url = new URL(req.url ?? '/', this.url);
    const query = Object.fromEntries(url.searchParams);
    const record: ArmRequest = { method: req.method ?? '', path: url.pathname, query, kind: '', status: 0, code: undefined };
    this.requests.push(record);
    if (this.#hang) return;
    const requestId = randomUUID();
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'x-ms-request-id': requestId, 'x-ms-correlation-request-id': requestId, ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    try {
      if (query['api-version'] === undefined) {
        throw new ArmError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
      }
      const route = this.#route(req.method ?? '', url.pathname, query);
      record.kind = route.kind;
      this.#authorize(req, route.kind, route.scope);
      const fault = this.#takeFault(route.kind);
      if (fault !== undefined) throw new ArmError(fault.status, fault.code, fault.message ?? `${fault.code} (injected by the test)`, fault.retryAfter);
      const answer = route.run();
      send(answer.status, answer.body, answer.headers);
    } catch (error) {
      const failure = error instanceof ArmError ? error : new ArmError(500, 'InternalServerError', `test endpoint bug: ${String(error)}`);
      record.code = failure.code;
      send(failure.status, { error: { code: failure.code, message: failure.message } }, failure.retryAfter === undefined ? {} : { 'Retry-After': String(failure.retryAfter) });
    }
  }

  #takeFault(kind: string): ArmFault | undefined {
    const index = this.#faults.findIndex((f) => f.kind === kind || f.kind === '*');
    const entry = this.#faults[index];
    if (entry === undefined) return undefined;
    entry.times -= 1;
    if (entry.times <= 0) this.#faults.splice(index, 1);
    return entry.fault;
  }

  #authorize(req: IncomingMessage, kind: string, scope: string): void {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined) {
      throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
    }
    const issued = this.#options.tokens.lookup(token);
    if (issued === undefined) throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    const audience = issued.resource.replace(/\/+$/, '');
    if (audience !== this.url) {
      throw new ArmError(401, 'InvalidAuthenticationTokenAudience', `The access token has been obtained for wrong audience or resource '${issued.resource}'. It should exactly match with one of the allowed audiences '${this.url}/'.`);
    }
    const action = ACTION[kind] ?? kind;
    if (this.#denied.has(action)) {
      throw new ArmError(
        403,
        'AuthorizationFailed',
        `The client '${issued.identity}' with object id '${issued.identity}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      );
    }
  }

  #route(method: string, path: string, query: Readonly<Record<string, string>>): { kind: string; scope: string; run: () => { status: number; body: unknown; headers?: Record<string, string> } } {
    const { subscriptionId, resourceGroup, location } = this.#options;
    const op = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Compute\/locations\/([^/]+)\/operations\/([^/]+)$/.exec(path);
    if (op !== null) {
      const id = op[3] ?? '';
      return { kind: 'operation', scope: path, run: () => this.#poll(id, query.monitor === 'true') };
    }
    const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path);
    if (m === null) throw new ArmError(404, 'NotFound', `No HTTP resource was found that matches the request URI '${path}'.`);
    const [, sub = '', rg = '', name, verb] = m;
    if (sub !== subscriptionId) throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
    if (rg.toLowerCase() !== resourceGroup.toLowerCase()) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
    const scope = path;
    if (name === undefined) {
      if (method !== 'GET') throw new ArmError(405, 'MethodNotAllowed', `${method} is not allowed`);
      return { kind: 'list', scope, run: () => ({ status: 200, body: this.#list(query) }) };
    }
    const find = () => {
      const vm = this.#vms.get(name);
      if (vm === undefined) {
        throw new ArmError(404, 'ResourceNotFound', `The Resource 'Microsoft.Compute/virtualMachines/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
      }
      return vm;
    };
    if (verb === undefined) {
      if (method !== 'GET') throw new ArmError(405, 'MethodNotAllowed', `${method} is not allowed`);
      return { kind: 'get', scope, run: () => ({ status: 200, body: this.#view(find(), query.$expand === 'instanceView') }) };
    }
    if (verb === 'instanceView' && method === 'GET') return { kind: 'instanceView', scope, run: () => ({ status: 200, body: this.#instanceView(find()) }) };
    if (method === 'POST' && (verb === 'deallocate' || verb === 'powerOff' || verb === 'start')) {
      return {
        kind: verb,
        scope,
        run: () => this.#change(find(), verb === 'deallocate' && query.hibernate === 'true' ? 'hibernate' : verb, location, query['api-version'] ?? ''),
      };
    }
    throw new ArmError(404, 'NotFound', `No HTTP resource was found that matches the request URI '${path}'.`);
  }

  #instanceView(vm: Vm): unknown {
    const statuses = [
      { code: vm.busy === undefined ? 'ProvisioningState/succeeded' : 'ProvisioningState/updating', level: 'Info', displayStatus: 'Provisioning succeeded' },
      { code: `PowerState/${vm.power}`, level: 'Info', displayStatus: `VM ${vm.power}` },
      ...(vm.hibernated ? [{ code: 'HibernationState/Hibernated', level: 'Info', displayStatus: 'VM hibernated' }] : []),
    ];
    return { computerName: vm.name, osName: 'ubuntu', statuses };
  }

  #view(vm: Vm, expand: boolean): unknown {
    const { subscriptionId, resourceGroup, location } = this.#options;
    return {
      id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${vm.name}`,
      name: vm.name,
      type: 'Microsoft.Compute/virtualMachines',
      location,
      tags: vm.tags,
      ...(vm.zone === undefined ? {} : { zones: [vm.zone] }),
      properties: {
        vmId: vm.vmId,
        hardwareProfile: { vmSize: vm.vmSize },
        additionalCapabilities: { hibernationEnabled: vm.hibernationEnabled },
        provisioningState: 'Succeeded',
        timeCreated: vm.timeCreated,
        ...(vm.scaleSet === undefined
          ? {}
          : { virtualMachineScaleSet: { id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${vm.scaleSet}` } }),
        ...(expand ? { instanceView: this.#instanceView(vm) } : {}),
      },
    };
  }

  #list(query: Readonly<Record<string, string>>): unknown {
    const all = [...this.#vms.values()];
    const limit = this.#options.pageLimit ?? 50;
    const start = query.$skiptoken === undefined ? 0 : Number(query.$skiptoken);
    const page = all.slice(start, start + limit);
    const more = start + limit < all.length;
    const { subscriptionId, resourceGroup } = this.#options;
    return {
      value: page.map((vm) => this.#view(vm, false)),
      ...(more
        ? { nextLink: `${this.url}/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines?api-version=${query['api-version'] ?? ''}&$skiptoken=${start + limit}` }
        : {}),
    };
  }

  #change(vm: Vm, change: Change, location: string, apiVersion: string): { status: number; body: unknown; headers: Record<string, string> } {
    if (vm.busy !== undefined) {
      throw new ArmError(409, 'OperationNotAllowed', `Operation '${change}' is not allowed on VM '${vm.name}' since the VM is ${vm.power}. Retry after the current operation completes.`);
    }
    if (change === 'hibernate' && !vm.hibernationEnabled) {
      throw new ArmError(409, 'OperationNotAllowed', `Hibernate operation is not allowed on VM '${vm.name}' since hibernation is not enabled on it.`);
    }
    const operation: Operation = { id: randomUUID(), vm: vm.name, change, polls: 0, status: 'InProgress', fail: this.#operationFault, stall: this.#stall };
    this.#operations.set(operation.id, operation);
    vm.busy = operation.id;
    vm.power = DURING[change];
    const base = `${this.url}/subscriptions/${this.#options.subscriptionId}/providers/Microsoft.Compute/locations/${location}/operations/${operation.id}?api-version=${apiVersion}`;
    return { status: 202, body: undefined, headers: { 'Azure-AsyncOperation': base, Location: `${base}&monitor=true` } };
  }

  #poll(id: string, monitor: boolean): { status: number; body: unknown; headers?: Record<string, string> } {
    const operation = this.#operations.get(id);
    if (operation === undefined) throw new ArmError(404, 'NotFound', `The operation '${id}' was not found.`);
    if (operation.status === 'InProgress' && !operation.stall) {
      operation.polls += 1;
      if (operation.polls >= (this.#options.pollsPerStep ?? 2)) {
        const vm = this.#vms.get(operation.vm);
        operation.status = operation.fail === undefined ? 'Succeeded' : 'Failed';
        if (vm !== undefined) {
          vm.busy = undefined;
          if (operation.fail === undefined) {
            vm.power = AFTER[operation.change];
            vm.hibernated = operation.change === 'hibernate';
          } else {
            vm.power = operation.change === 'start' ? 'deallocated' : 'running';
          }
        }
      }
    }
    if (monitor) return operation.status === 'InProgress' ? { status: 202, body: undefined } : { status: 200, body: undefined };
    return {
      status: 200,
      body: {
        name: operation.id,
        startTime: new Date().toISOString(),
        status: operation.status,
        ...(operation.status === 'Failed' && operation.fail !== undefined ? { error: { code: operation.fail.code, message: operation.fail.message } } : {}),
      },
    };
  }
}
