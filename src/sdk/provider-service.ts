// Serves a CloudProvider implementation as the plugin.CloudProvider gRPC
// service: converts plain values to protobuf messages and every failure to a
// gRPC status, so a throwing or rejecting method never takes the plugin down.
import { create } from '@bufbuild/protobuf';
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Metadata, status } from '@grpc/grpc-js';
import type { ServerErrorResponse, ServerUnaryCall, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import {
  GetAPIVersionResponseSchema,
  GetInstanceInfoResponseSchema,
  GetProviderNameResponseSchema,
  GetProviderVersionResponseSchema,
  InstanceInfoSchema,
  ListInstancesResponseSchema,
  StartInstanceResponseSchema,
  StopInstanceResponseSchema,
} from '../gen/plugin/cloud_provider_pb.js';
import type { InstanceInfo } from '../gen/plugin/cloud_provider_pb.js';
import { API_VERSION } from '../handshake/index.js';
import { PluginError, describePluginError } from './errors.js';
import type { Logger } from './logger.js';
import type { CloudProvider, InstanceDetails, OperationOutcome } from './provider.js';

/** What GetAPIVersion answers unless the provider says otherwise: the API this SDK serves. */
export const DEFAULT_API_VERSION = API_VERSION;

export function toInstanceInfo(details: InstanceDetails): InstanceInfo {
  return create(InstanceInfoSchema, {
    id: details.id,
    name: details.name ?? '',
    type: details.type ?? '',
    region: details.region ?? '',
    zone: details.zone ?? '',
    state: details.state,
    ...(details.launchTime === undefined ? {} : { launchTime: timestampFromDate(details.launchTime) }),
  });
}

function outcome(result: OperationOutcome): { success: boolean; errorMessage: string } {
  return result === undefined ? { success: true, errorMessage: '' } : { success: false, errorMessage: result.errorMessage };
}

export function toStatus(method: string, error: unknown): ServerErrorResponse {
  if (error instanceof PluginError) {
    return Object.assign(new Error(describePluginError(error)), {
      code: status[error.code],
      details: describePluginError(error),
      metadata: new Metadata(),
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  const details = `${method} failed: ${message}`;
  return Object.assign(new Error(details), { code: status.UNKNOWN, details, metadata: new Metadata() });
}

const NEVER_ABORTED = new AbortController().signal;

type Answer<Desc extends DescMessage> = (signal: AbortSignal) => Promise<MessageInitShape<Desc>> | MessageInitShape<Desc>;

/** One unary handler: runs `answer`, builds the response, maps any failure. */
function unary<Desc extends DescMessage>(method: string, schema: Desc, logger: Logger, answer: Answer<Desc>) {
  return (call: ServerUnaryCall<unknown, MessageShape<Desc>>, callback: sendUnaryData<MessageShape<Desc>>): void => {
    // An AbortController costs more than the rest of a small call, so only
    // answers that take a signal (the provider's own methods) get one.
    let signal = NEVER_ABORTED;
    if (answer.length > 0) {
      const controller = new AbortController();
      call.once('cancelled', () => controller.abort(new Error(`${method} was cancelled by the host`)));
      signal = controller.signal;
    }
    // Promise.resolve().then(...) so that a method that throws synchronously is caught too.
    Promise.resolve()
      .then(() => answer(signal))
      .then(
        (init) => callback(null, create(schema, init)),
        (error: unknown) => {
          logger.warn({ method, error: error instanceof Error ? error.message : String(error) }, 'provider method failed');
          callback(toStatus(method, error));
        },
      );
  };
}

export function cloudProviderHandlers(provider: CloudProvider, logger: Logger): UntypedServiceImplementation {
  return {
    getAPIVersion: unary('GetAPIVersion', GetAPIVersionResponseSchema, logger, () => ({
      apiVersion: provider.apiVersion ?? DEFAULT_API_VERSION,
    })),
    getProviderName: unary('GetProviderName', GetProviderNameResponseSchema, logger, () => ({
      providerName: provider.name,
    })),
    getProviderVersion: unary('GetProviderVersion', GetProviderVersionResponseSchema, logger, () => ({
      providerVersion: provider.version,
    })),
    getInstanceInfo: unary('GetInstanceInfo', GetInstanceInfoResponseSchema, logger, async (signal) => ({
      instance: toInstanceInfo(await provider.getInstanceInfo(signal)),
    })),
    listInstances: unary('ListInstances', ListInstancesResponseSchema, logger, async (signal) => ({
      instances: (await provider.listInstances(signal)).map(toInstanceInfo),
    })),
    stopInstance: unary('StopInstance', StopInstanceResponseSchema, logger, async (signal) =>
      outcome(await provider.stopInstance(signal)),
    ),
    startInstance: unary('StartInstance', StartInstanceResponseSchema, logger, async (signal) =>
      outcome(await provider.startInstance(signal)),
    ),
  };
}
