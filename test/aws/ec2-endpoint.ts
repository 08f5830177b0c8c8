// A local EC2 endpoint for tests: node:http on 127.0.0.1, a random port,
// speaking EC2's Query protocol (form-encoded POST with Action= and
// Version=, XML answers shaped as in the EC2 API reference). Every request's
// SigV4 signature is checked against the test credentials; instances keep
// their state (running → stopping → stopped → pending → running, a
// transitional state is seen by `transitionDescribes` DescribeInstances and
// then completes); DescribeInstances paginates; and documented error codes,
// throttling included, can be answered on demand.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureError, verifySigV4 } from './sigv4.js';
import type { TestCredentials } from './sigv4.js';
import { el, itemSet, xmlDocument } from './xml.js';
import type { Element, Node } from './xml.js';

export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
export const EC2_API_VERSION = '2016-11-15';

export type Ec2Action = 'DescribeInstances' | 'StopInstances' | 'StartInstances';
const ACTIONS: readonly string[] = ['DescribeInstances', 'StopInstances', 'StartInstances'];

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';
export const STATE_CODES: Readonly<Record<InstanceStateName, number>> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};
const COMPLETES_TO: Partial<Record<InstanceStateName, InstanceStateName>> = {
  pending: 'running',
  stopping: 'stopped',
  'shutting-down': 'terminated',
};

export interface InstanceSeed {
  readonly id: string;
  readonly type?: string;
  /** Defaults to the endpoint's region + "a". */
  readonly zone?: string;
  /** The Name tag. */
  readonly name?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly state?: InstanceStateName;
  readonly launchTime?: Date;
  /** HibernationOptions.Configured. */
  readonly hibernation?: boolean;
}

export interface InstanceSnapshot {
  readonly id: string;
  readonly type: string;
  readonly zone: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly state: InstanceStateName;
  readonly launchTime: Date;
  readonly hibernation: boolean;
  readonly stateReason: string | undefined;
}

interface Instance extends InstanceSnapshot {
  state: InstanceStateName;
  stateReason: string | undefined;
  /** Describes left that still see a transitional state. */
  describesLeft: number;
}

export interface Fault {
  /** An EC2 error code, e.g. "IncorrectInstanceState". */
  readonly code: string;
  readonly message?: string;
  /** Defaults to the code's usual status (see DEFAULT_STATUS). */
  readonly status?: number;
}

export interface RecordedRequest {
  readonly action: string;
  readonly params: Readonly<Record<string, string>>;
  readonly accessKeyId: string | undefined;
  readonly status: number;
  readonly errorCode: string | undefined;
}

export interface Ec2EndpointOptions {
  /** The region this endpoint serves: requests must be signed for it. */
  readonly region: string;
  /** Keys it accepts (any of them). */
  readonly credentials: readonly TestCredentials[];
  readonly instances?: readonly InstanceSeed[];
  /** How many DescribeInstances see "stopping" or "pending" before the state completes (default 1). */
  readonly transitionDescribes?: number;
  readonly accountId?: string;
  /**
   * EC2 may answer a paginated DescribeInstances with fewer instances than
   * MaxResults (and a NextToken); this caps every page, so a client's large
   * page size still sees several pages.
   */
  readonly pageLimit?: number;
}

const DEFAULT_STATUS: Readonly<Record<string, number>> = {
  AuthFailure: 401,
  MissingAuthenticationToken: 401,
  UnauthorizedOperation: 403,
  OptInRequired: 403,
  Blocked: 403,
  DryRunOperation: 412,
  RequestLimitExceeded: 503,
  Unavailable: 503,
  InternalError: 500,
};

const DEFAULT_MESSAGE: Readonly<Record<string, string>> = {
  RequestLimitExceeded: 'Request limit exceeded.',
  InternalError: 'An internal error has occurred.',
  Unavailable: 'The server is overloaded and cannot handle the request.',
  AuthFailure: 'AWS was not able to validate the provided access credentials',
};

const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const MIN_PAGE = 5;
const MAX_PAGE = 1_000;

class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = DEFAULT_STATUS[code] ?? 400,
  ) {
    super(message);
  }
}

/** EC2's UnauthorizedOperation message, as an explicit deny or a missing allow produces it. */
export function unauthorizedMessage(action: Ec2Action, resource: string, accountId = '123456789012'): string {
  // Instance-role sessions are named after the instance.
  const session = resource.slice(resource.lastIndexOf('/') + 1);
  return (
    `You are not authorized to perform this operation. User: arn:aws:sts::${accountId}:assumed-role/snoozebot/${session} ` +
    `is not authorized to perform: ec2:${action} on resource: ${resource} because no identity-based policy allows the ` +
    `ec2:${action} action. Encoded authorization failure message: ${Buffer.from(`denied ${action}`).toString('base64')}`
  );
}

/** Values of a flattened Query list: Name.1, Name.2, … in order. */
export function queryList(params: Readonly<Record<string, string>>, prefix: string): string[] {
  const found: [number, string][] = [];
  const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)$`);
  for (const [key, value] of Object.entries(params)) {
    const m = pattern.exec(key);
    if (m?.[1] !== undefined) found.push([Number(m[1]), value]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
}

export interface QueryFilter {
  readonly name: string;
  readonly values: readonly string[];
}

/** Filter.N.Name and Filter.N.Value.M. */
export function queryFilters(params: Readonly<Record<string, string>>): QueryFilter[] {
  const indexes = new Set<number>();
  for (const key of Object.keys(params)) {
    const m = /^Filter\.(\d+)\.Name$/.exec(key);
    if (m?.[1] !== undefined) indexes.add(Number(m[1]));
  }
  return [...indexes]
    .sort((a, b) => a - b)
    .map((n) => ({ name: params[`Filter.${n}.Name`] ?? '', values: queryList(params, `Filter.${n}.Value`) }));
}

function stateXml(state: InstanceStateName): Node[] {
  return [el('code', STATE_CODES[state]), el('name', state)];
}

export class Ec2Endpoint {
  readonly region: string;
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #options: Ec2EndpointOptions;
  readonly #instances = new Map<string, Instance>();
  readonly #faults: { action: Ec2Action | '*'; fault: Fault; times: number }[] = [];
  #port = 0;

  private constructor(options: Ec2EndpointOptions) {
    this.#options = options;
    this.region = options.region;
    for (const seed of options.instances ?? []) this.addInstance(seed);
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(options: Ec2EndpointOptions): Promise<Ec2Endpoint> {
    const endpoint = new Ec2Endpoint(options);
    await new Promise<void>((resolve, reject) => {
      endpoint.#server.once('error', reject);
      endpoint.#server.listen(0, '127.0.0.1', () => resolve());
    });
    endpoint.#port = (endpoint.#server.address() as AddressInfo).port;
    return endpoint;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  addInstance(seed: InstanceSeed): void {
    const tags: Record<string, string> = { ...seed.tags };
    if (seed.name !== undefined) tags.Name = seed.name;
    this.#instances.set(seed.id, {
      id: seed.id,
      type: seed.type ?? 't3.micro',
      zone: seed.zone ?? `${this.region}a`,
      tags,
      state: seed.state ?? 'running',
      launchTime: seed.launchTime ?? new Date('2024-05-06T07:08:09.000Z'),
      hibernation: seed.hibernation ?? false,
      stateReason: undefined,
      describesLeft: 0,
    });
  }

  instance(id: string): InstanceSnapshot {
    const found = this.#instances.get(id);
    if (found === undefined) throw new Error(`no instance ${id} on this endpoint`);
    const { describesLeft: _left, ...snapshot } = found;
    return { ...snapshot, tags: { ...snapshot.tags } };
  }

  setState(id: string, state: InstanceStateName): void {
    const found = this.#instances.get(id);
    if (found === undefined) throw new Error(`no instance ${id} on this endpoint`);
    found.state = state;
    found.describesLeft = this.#options.transitionDescribes ?? 1;
  }

  /** Answers the next `times` requests of `action` (or of any action) with `fault`. */
  failNext(action: Ec2Action | '*', fault: Fault, times = 1): void {
    this.#faults.push({ action, fault, times });
  }

  /** Answers every request of `action` with `fault` until clearFaults(). */
  failAlways(action: Ec2Action | '*', fault: Fault): void {
    this.failNext(action, fault, Number.POSITIVE_INFINITY);
  }

  /** Like an instance role whose policy does not allow `action`. */
  deny(action: Ec2Action, resource = 'i-00000000'): void {
    this.failAlways(action, { code: 'UnauthorizedOperation', message: unauthorizedMessage(action, resource, this.#account) });
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  /** Requests of `action` that passed the signature check. */
  calls(action: Ec2Action): RecordedRequest[] {
    return this.requests.filter((r) => r.action === action && r.errorCode !== 'AuthFailure');
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  get #account(): string {
    return this.#options.accountId ?? '123456789012';
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const requestId = randomUUID();
    const url = new URL(`http://placeholder${req.url ?? '/'}`);
    const params: Record<string, string> = Object.fromEntries(url.searchParams);
    const contentType = req.headers['content-type'] ?? '';
    if (req.method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded')) {
      Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
    }
    const action = params.Action ?? '';
    let accessKeyId: string | undefined;
    const answer = (status: number, xml: string, errorCode?: string) => {
      this.requests.push({ action, params, accessKeyId, status, errorCode });
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId });
      res.end(xml);
    };
    try {
      try {
        const verified = await verifySigV4(
          { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body },
          this.#options.credentials,
          { region: this.region, service: 'ec2' },
        );
        accessKeyId = verified.accessKeyId;
      } catch (error) {
        if (error instanceof SignatureError) throw new Ec2Error(error.code, error.message, error.code === 'RequestExpired' ? 400 : 401);
        throw error;
      }
      if (action === '') throw new Ec2Error('MissingAction', 'The request must contain the parameter Action');
      if (!ACTIONS.includes(action)) throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
      if (params.Version === undefined) throw new Ec2Error('MissingParameter', 'The request must contain the parameter Version');
      this.#injectedFault(action as Ec2Action);
      const result = this.#dispatch(action as Ec2Action, params);
      answer(200, xmlDocument(el(`${action}Response`, el('requestId', requestId), ...result), EC2_XMLNS));
    } catch (error) {
      const failure = error instanceof Ec2Error ? error : new Ec2Error('InternalError', `test endpoint bug: ${String(error)}`, 500);
      answer(
        failure.status,
        xmlDocument(
          el(
            'Response',
            el('Errors', el('Error', el('Code', failure.code), el('Message', failure.message))),
            el('RequestID', requestId),
          ),
        ),
        failure.code,
      );
    }
  }

  #injectedFault(action: Ec2Action): void {
    const index = this.#faults.findIndex((f) => f.action === action || f.action === '*');
    const entry = this.#faults[index];
    if (entry === undefined) return;
    entry.times -= 1;
    if (entry.times <= 0) this.#faults.splice(index, 1);
    const { code, message, status } = entry.fault;
    throw new Ec2Error(code, message ?? DEFAULT_MESSAGE[code] ?? `${code} (injected by the test)`, status ?? DEFAULT_STATUS[code] ?? 400);
  }

  #dispatch(action: Ec2Action, params: Readonly<Record<string, string>>): Node[] {
    switch (action) {
      case 'DescribeInstances':
        return this.#describe(params);
      case 'StopInstances':
        return this.#stop(params);
      case 'StartInstances':
        return this.#start(params);
    }
  }

  /** The instances named by InstanceId.N, each validated as EC2 does. */
  #named(params: Readonly<Record<string, string>>, required: boolean): Instance[] | undefined {
    const ids = queryList(params, 'InstanceId');
    if (ids.length === 0) {
      if (required) throw new Ec2Error('MissingParameter', 'The request must contain the parameter InstanceId');
      return undefined;
    }
    const malformed = ids.find((id) => !INSTANCE_ID.test(id));
    if (malformed !== undefined) throw new Ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${malformed}"`);
    const missing = ids.filter((id) => !this.#instances.has(id));
    if (missing.length === 1) throw new Ec2Error('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
    if (missing.length > 1) throw new Ec2Error('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
    return ids.map((id) => this.#instances.get(id) as Instance);
  }

  #dryRun(params: Readonly<Record<string, string>>): void {
    if (params.DryRun === 'true') throw new Ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
  }

  #describe(params: Readonly<Record<string, string>>): Node[] {
    const named = this.#named(params, false);
    const maxResults = params.MaxResults === undefined ? undefined : Number(params.MaxResults);
    if (named !== undefined && maxResults !== undefined) {
      throw new Ec2Error('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    }
    if (maxResults !== undefined && (!Number.isInteger(maxResults) || maxResults < MIN_PAGE || maxResults > MAX_PAGE)) {
      throw new Ec2Error(
        'InvalidParameterValue',
        `Value ( ${params.MaxResults} ) for parameter maxResults is invalid. Expecting a value between ${MIN_PAGE} and ${MAX_PAGE}.`,
      );
    }
    this.#dryRun(params);
    const filters = queryFilters(params);
    const inScope = named ?? [...this.#instances.values()];
    // A transition whose describes are used up completes now.
    for (const instance of inScope) {
      const next = COMPLETES_TO[instance.state];
      if (next !== undefined && instance.describesLeft <= 0) instance.state = next;
    }
    const matching = inScope.filter((instance) => filters.every((filter) => this.#matches(instance, filter)));

    let offset = 0;
    if (params.NextToken !== undefined) {
      const decoded = /^page:(\d+)$/.exec(Buffer.from(params.NextToken, 'base64url').toString('utf8'));
      if (decoded?.[1] === undefined) throw new Ec2Error('InvalidParameterValue', 'Invalid value for NextToken');
      offset = Number(decoded[1]);
    }
    const pageSize = maxResults === undefined ? undefined : Math.min(maxResults, this.#options.pageLimit ?? maxResults);
    const page = pageSize === undefined ? matching.slice(offset) : matching.slice(offset, offset + pageSize);
    const end = offset + page.length;
    const nextToken = maxResults !== undefined && end < matching.length ? Buffer.from(`page:${end}`).toString('base64url') : undefined;
    for (const instance of page) if (COMPLETES_TO[instance.state] !== undefined) instance.describesLeft -= 1;
    return [
      itemSet(
        'reservationSet',
        page.map((instance) => [
          el('reservationId', `r-${instance.id.slice(2)}`),
          el('ownerId', this.#account),
          el('groupSet'),
          itemSet('instancesSet', [this.#instanceXml(instance)]),
        ]),
      ),
      nextToken === undefined ? undefined : el('nextToken', nextToken),
    ];
  }

  #matches(instance: Instance, filter: QueryFilter): boolean {
    const any = (value: string | undefined) => value !== undefined && filter.values.includes(value);
    if (filter.name.startsWith('tag:')) return any(instance.tags[filter.name.slice(4)]);
    switch (filter.name) {
      case 'instance-state-name':
        return any(instance.state);
      case 'instance-id':
        return any(instance.id);
      case 'instance-type':
        return any(instance.type);
      case 'availability-zone':
        return any(instance.zone);
      case 'tag-key':
        return Object.keys(instance.tags).some(any);
      default:
        throw new Ec2Error('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
    }
  }

  #instanceXml(instance: Instance): Node[] {
    const tags = Object.entries(instance.tags);
    return [
      el('instanceId', instance.id),
      el('imageId', 'ami-0abcdef1234567890'),
      el('instanceState', ...stateXml(instance.state)),
      el('privateDnsName', `ip-10-0-0-1.${this.region}.compute.internal`),
      el('dnsName'),
      el('reason', instance.stateReason === undefined ? undefined : 'User initiated'),
      el('amiLaunchIndex', 0),
      el('productCodes'),
      el('instanceType', instance.type),
      el('launchTime', instance.launchTime.toISOString()),
      el('placement', el('availabilityZone', instance.zone), el('groupName'), el('tenancy', 'default')),
      el('monitoring', el('state', 'disabled')),
      el('privateIpAddress', '10.0.0.1'),
      el('architecture', 'x86_64'),
      el('rootDeviceType', 'ebs'),
      el('rootDeviceName', '/dev/xvda'),
      instance.stateReason === undefined
        ? undefined
        : el('stateReason', el('code', instance.stateReason), el('message', `${instance.stateReason}: User initiated shutdown`)),
      tags.length === 0 ? undefined : itemSet('tagSet', tags.map(([key, value]) => [el('key', key), el('value', value)])),
      el('hibernationOptions', el('configured', instance.hibernation)),
    ];
  }

  #changeSet(name: string, changes: readonly { instance: Instance; previous: InstanceStateName }[]): Element {
    return itemSet(
      name,
      changes.map(({ instance, previous }) => [
        el('instanceId', instance.id),
        el('currentState', ...stateXml(instance.state)),
        el('previousState', ...stateXml(previous)),
      ]),
    );
  }

  #stop(params: Readonly<Record<string, string>>): Node[] {
    const instances = this.#named(params, true) ?? [];
    const hibernate = params.Hibernate === 'true';
    for (const instance of instances) {
      if (!['running', 'stopping', 'stopped'].includes(instance.state)) {
        throw new Ec2Error('IncorrectInstanceState', `The instance '${instance.id}' is not in a state from which it can be stopped.`);
      }
      if (hibernate && !instance.hibernation) {
        throw new Ec2Error('UnsupportedHibernationConfiguration', `The instance '${instance.id}' does not have hibernation configured.`);
      }
    }
    this.#dryRun(params);
    const changes = instances.map((instance) => {
      const previous = instance.state;
      if (previous === 'running') {
        instance.state = 'stopping';
        instance.describesLeft = this.#options.transitionDescribes ?? 1;
        instance.stateReason = hibernate ? 'Client.UserInitiatedHibernate' : 'Client.UserInitiatedShutdown';
      }
      return { instance, previous };
    });
    return [this.#changeSet('instancesSet', changes)];
  }

  #start(params: Readonly<Record<string, string>>): Node[] {
    const instances = this.#named(params, true) ?? [];
    for (const instance of instances) {
      if (!['stopped', 'pending', 'running'].includes(instance.state)) {
        throw new Ec2Error('IncorrectInstanceState', `The instance '${instance.id}' is not in a state from which it can be started.`);
      }
    }
    this.#dryRun(params);
    const changes = instances.map((instance) => {
      const previous = instance.state;
      if (previous === 'stopped') {
        instance.state = 'pending';
        instance.describesLeft = this.#options.transitionDescribes ?? 1;
        instance.stateReason = undefined;
      }
      return { instance, previous };
    });
    return [this.#changeSet('instancesSet', changes)];
  }
}
