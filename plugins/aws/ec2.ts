// The three EC2 calls the plugin makes, through @aws-sdk/client-ec2 with the
// SDK's default credential chain (environment, profile, instance role) and
// retries. Only the commands used are imported, so the bundle leaves the rest
// of EC2's API out. provider.ts loads this module on the first call.
import {
  DescribeInstancesCommand,
  EC2Client,
  StartInstancesCommand,
  StopInstancesCommand,
  paginateDescribeInstances,
} from '@aws-sdk/client-ec2';
import type { EC2ClientConfig, Filter, Instance } from '@aws-sdk/client-ec2';
import { PluginError } from '../../src/sdk/errors.js';
import type { InstanceDetails } from '../../src/sdk/provider.js';
import type { TagFilter } from './config.js';
import { toPluginError } from './errors.js';
import type { ErrorContext } from './errors.js';

/** Connecting to EC2 is quick or not happening; a slow answer gets longer. Retries come on top. */
const CONNECTION_TIMEOUT_MS = 3_000;
const REQUEST_TIMEOUT_MS = 8_000;
/** DescribeInstances' largest page. */
const PAGE_SIZE = 1_000;
/** Terminated instances linger in DescribeInstances for about an hour; nobody wants to stop one. */
const LISTED_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

export interface StateChange {
  readonly previous: string;
  readonly current: string;
}

export interface Ec2Options {
  readonly region: string;
  /** AWS_ENDPOINT_URL_EC2, only for messages: the SDK reads it itself. */
  readonly endpoint: string | undefined;
  /** Extra client settings (tests: an endpoint, credentials, attempts); the plugin passes none. */
  readonly client?: EC2ClientConfig;
}

export function nameTag(instance: Instance): string | undefined {
  return instance.Tags?.find((tag) => tag.Key === 'Name')?.Value;
}

export function toDetails(instance: Instance, region: string): InstanceDetails {
  const name = nameTag(instance);
  return {
    id: instance.InstanceId ?? '',
    state: instance.State?.Name ?? 'unknown',
    region,
    ...(name === undefined ? {} : { name }),
    ...(instance.InstanceType === undefined ? {} : { type: instance.InstanceType }),
    ...(instance.Placement?.AvailabilityZone === undefined ? {} : { zone: instance.Placement.AvailabilityZone }),
    ...(instance.LaunchTime === undefined ? {} : { launchTime: instance.LaunchTime }),
  };
}

export function listFilters(tag: TagFilter | undefined): Filter[] {
  const filters: Filter[] = [{ Name: 'instance-state-name', Values: LISTED_STATES }];
  if (tag !== undefined) filters.push({ Name: `tag:${tag.key}`, Values: [tag.value] });
  return filters;
}

export class Ec2 {
  readonly region: string;
  readonly #client: EC2Client;
  readonly #endpoint: string | undefined;

  constructor(options: Ec2Options) {
    this.region = options.region;
    this.#endpoint = options.endpoint;
    this.#client = new EC2Client({
      region: options.region,
      requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
      ...options.client,
    });
  }

  async #call<T>(context: Omit<ErrorContext, 'region' | 'endpoint'>, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toPluginError(error, {
        ...context,
        region: this.region,
        ...(this.#endpoint === undefined ? {} : { endpoint: this.#endpoint }),
      });
    }
  }

  describe(instanceId: string, signal: AbortSignal): Promise<InstanceDetails> {
    return this.#call({ action: 'DescribeInstances', instanceId }, async () => {
      const answer = await this.#client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: signal });
      const instance = answer.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
      if (instance === undefined) {
        // EC2 answers an unknown id with InvalidInstanceID.NotFound; an empty answer means the same.
        throw new PluginError('NOT_FOUND', `EC2 DescribeInstances did not return instance ${instanceId} in ${this.region}`, {
          hint: 'check SNOOZEBOT_AWS_INSTANCE_ID and AWS_REGION, which win over what IMDS says',
        });
      }
      return toDetails(instance, this.region);
    });
  }

  list(tag: TagFilter | undefined, signal: AbortSignal): Promise<InstanceDetails[]> {
    return this.#call({ action: 'DescribeInstances' }, async () => {
      const found: InstanceDetails[] = [];
      const pages = paginateDescribeInstances({ client: this.#client, pageSize: PAGE_SIZE }, { Filters: listFilters(tag) }, {
        abortSignal: signal,
      });
      for await (const page of pages) {
        for (const reservation of page.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) found.push(toDetails(instance, this.region));
        }
      }
      return found;
    });
  }

  stop(instanceId: string, hibernate: boolean, signal: AbortSignal): Promise<StateChange> {
    return this.#call({ action: 'StopInstances', instanceId, hibernate }, async () => {
      const answer = await this.#client.send(
        new StopInstancesCommand({ InstanceIds: [instanceId], ...(hibernate ? { Hibernate: true } : {}) }),
        { abortSignal: signal },
      );
      const change = answer.StoppingInstances?.find((c) => c.InstanceId === instanceId);
      return { previous: change?.PreviousState?.Name ?? 'unknown', current: change?.CurrentState?.Name ?? 'unknown' };
    });
  }

  start(instanceId: string, signal: AbortSignal): Promise<StateChange> {
    return this.#call({ action: 'StartInstances', instanceId }, async () => {
      const answer = await this.#client.send(new StartInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: signal });
      const change = answer.StartingInstances?.find((c) => c.InstanceId === instanceId);
      return { previous: change?.PreviousState?.Name ?? 'unknown', current: change?.CurrentState?.Name ?? 'unknown' };
    });
  }
}
