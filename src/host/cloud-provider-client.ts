// A typed CloudProvider client with a deadline on every call. Answers come
// back as plain values (InstanceRecord is what the API and CLI print);
// failures come back as HostError: PLUGIN_CALL keeps the plugin's gRPC status
// and message, PLUGIN_OPERATION_FAILED is a success=false answer.
import { create } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { status } from '@grpc/grpc-js';
import {
  GetAPIVersionRequestSchema,
  GetInstanceInfoRequestSchema,
  GetProviderNameRequestSchema,
  GetProviderVersionRequestSchema,
  ListInstancesRequestSchema,
  StartInstanceRequestSchema,
  StopInstanceRequestSchema,
} from '../gen/plugin/cloud_provider_pb.js';
import type { InstanceInfo } from '../gen/plugin/cloud_provider_pb.js';
import { cloudProviderService as service } from '../wire/services.js';
import { CallError } from './connection.js';
import type { PluginConnection } from './connection.js';
import { HostError } from './errors.js';

/** InstanceInfo in the camelCase shape of docs/architecture.md (`launchTime` as ISO-8601). */
export interface InstanceRecord {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly region: string;
  readonly zone: string;
  readonly state: string;
  readonly launchTime: string | null;
}

export function toInstanceRecord(info: InstanceInfo | undefined): InstanceRecord {
  return {
    id: info?.id ?? '',
    name: info?.name ?? '',
    type: info?.type ?? '',
    region: info?.region ?? '',
    zone: info?.zone ?? '',
    state: info?.state ?? '',
    launchTime: info?.launchTime === undefined ? null : timestampDate(info.launchTime).toISOString(),
  };
}

export class CloudProviderClient {
  readonly #connection: PluginConnection;
  readonly #timeoutMs: number;
  readonly #plugin: string;

  constructor(connection: PluginConnection, timeoutMs: number, plugin: string) {
    this.#connection = connection;
    this.#timeoutMs = timeoutMs;
    this.#plugin = plugin;
  }

  async #call<Res>(name: string, run: () => Promise<Res>): Promise<Res> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof CallError) {
        const grpcCode = status[error.grpcCode] ?? String(error.grpcCode);
        throw new HostError('PLUGIN_CALL', `plugin ${this.#plugin}: ${name} failed: ${grpcCode}: ${error.details}`, {
          cause: error,
          grpcCode,
        });
      }
      throw error;
    }
  }

  apiVersion(): Promise<string> {
    return this.#call('GetAPIVersion', async () =>
      (await this.#connection.unary(service.getAPIVersion, create(GetAPIVersionRequestSchema), this.#timeoutMs)).apiVersion,
    );
  }

  providerName(): Promise<string> {
    return this.#call('GetProviderName', async () =>
      (await this.#connection.unary(service.getProviderName, create(GetProviderNameRequestSchema), this.#timeoutMs)).providerName,
    );
  }

  providerVersion(): Promise<string> {
    return this.#call('GetProviderVersion', async () =>
      (await this.#connection.unary(service.getProviderVersion, create(GetProviderVersionRequestSchema), this.#timeoutMs))
        .providerVersion,
    );
  }

  instanceInfo(): Promise<InstanceRecord> {
    return this.#call('GetInstanceInfo', async () =>
      toInstanceRecord(
        (await this.#connection.unary(service.getInstanceInfo, create(GetInstanceInfoRequestSchema), this.#timeoutMs)).instance,
      ),
    );
  }

  listInstances(): Promise<InstanceRecord[]> {
    return this.#call('ListInstances', async () =>
      (await this.#connection.unary(service.listInstances, create(ListInstancesRequestSchema), this.#timeoutMs)).instances.map(
        toInstanceRecord,
      ),
    );
  }

  stopInstance(): Promise<void> {
    return this.#call('StopInstance', async () => {
      const answer = await this.#connection.unary(service.stopInstance, create(StopInstanceRequestSchema), this.#timeoutMs);
      if (!answer.success) this.#refused('StopInstance', answer.errorMessage);
    });
  }

  startInstance(): Promise<void> {
    return this.#call('StartInstance', async () => {
      const answer = await this.#connection.unary(service.startInstance, create(StartInstanceRequestSchema), this.#timeoutMs);
      if (!answer.success) this.#refused('StartInstance', answer.errorMessage);
    });
  }

  #refused(method: string, message: string): never {
    throw new HostError(
      'PLUGIN_OPERATION_FAILED',
      `plugin ${this.#plugin}: ${method} refused: ${message || '(the plugin gave no reason)'}`,
    );
  }
}
