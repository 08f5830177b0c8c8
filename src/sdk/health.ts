// grpc.health.v1.Health for the plugin. go-plugin hosts ask for service
// "plugin" before the first call; Watch streams stay open until shutdown, so
// they are tracked and ended when the server stops.
import { create } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import type { ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import { HealthCheckResponseSchema, HealthCheckResponse_ServingStatus as ServingStatus } from '../gen/grpc/health/v1/health_pb.js';
import type { HealthCheckRequest, HealthCheckResponse } from '../gen/grpc/health/v1/health_pb.js';
import { PLUGIN_HEALTH_SERVICE } from '../wire/services.js';

export { ServingStatus };

export class HealthState {
  readonly #statuses = new Map<string, ServingStatus>([
    ['', ServingStatus.SERVING],
    [PLUGIN_HEALTH_SERVICE, ServingStatus.SERVING],
  ]);
  readonly #watchers = new Set<{ service: string; call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse> }>();

  set(service: string, servingStatus: ServingStatus): void {
    this.#statuses.set(service, servingStatus);
    for (const watcher of this.#watchers) {
      if (watcher.service === service) watcher.call.write(create(HealthCheckResponseSchema, { status: servingStatus }));
    }
  }

  /** Marks everything NOT_SERVING and ends the Watch streams, so a graceful server stop is not held open. */
  shutdown(): void {
    for (const service of this.#statuses.keys()) this.set(service, ServingStatus.NOT_SERVING);
    for (const watcher of this.#watchers) watcher.call.end();
    this.#watchers.clear();
  }

  handlers(): UntypedServiceImplementation {
    return {
      check: (call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, callback: sendUnaryData<HealthCheckResponse>) => {
        const servingStatus = this.#statuses.get(call.request.service);
        if (servingStatus === undefined) {
          callback({ code: status.NOT_FOUND, details: `unknown health service ${JSON.stringify(call.request.service)}` });
          return;
        }
        callback(null, create(HealthCheckResponseSchema, { status: servingStatus }));
      },
      watch: (call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
        const watcher = { service: call.request.service, call };
        this.#watchers.add(watcher);
        call.once('cancelled', () => this.#watchers.delete(watcher));
        const servingStatus = this.#statuses.get(call.request.service) ?? ServingStatus.SERVICE_UNKNOWN;
        call.write(create(HealthCheckResponseSchema, { status: servingStatus }));
      },
    };
  }
}
