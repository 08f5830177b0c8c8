// The gRPC connection to one plugin: a grpc-js channel over the unix socket or
// TCP address from the handshake, with mTLS when the plugin sent a certificate.
import { create } from '@bufbuild/protobuf';
import { Client, Metadata, connectivityState, credentials, status } from '@grpc/grpc-js';
import type { ChannelCredentials, ClientReadableStream, MethodDefinition, ServiceError } from '@grpc/grpc-js';
import type { Handshake } from '../handshake/index.js';
import { HealthCheckRequestSchema, HealthCheckResponse_ServingStatus as ServingStatus } from '../gen/grpc/health/v1/health_pb.js';
import { EmptySchema } from '../gen/plugin/grpc_controller_pb.js';
import type { StdioData } from '../gen/plugin/grpc_stdio_pb.js';
import { EmptySchema as WktEmptySchema } from '@bufbuild/protobuf/wkt';
import { controllerService, healthService, PLUGIN_HEALTH_SERVICE, stdioService } from '../wire/services.js';
import type { EphemeralCertificate } from '../wire/certificate.js';
import { ambiguous, deliveryOf } from './delivery.js';
import type { Delivery } from './delivery.js';

export interface ClientTls {
  readonly clientCert: EphemeralCertificate;
  readonly serverCertPem: string;
}

/** How long a probe of a connection that just failed a call may take: a live plugin answers a health check in a millisecond. */
const PROBE_MS = 1_000;

export function channelTarget(handshake: Handshake): string {
  return handshake.network === 'unix' ? `unix:${handshake.address}` : handshake.address;
}

export class CallError extends Error {
  override readonly name = 'CallError';
  readonly grpcCode: number;
  readonly details: string;
  /** Whether the request reached the plugin (delivery.ts). */
  readonly delivery: Delivery;
  constructor(method: string, error: Pick<ServiceError, 'code' | 'details' | 'message'>, delivery: Delivery) {
    super(`${method}: ${status[error.code] ?? error.code}: ${error.details || error.message}`);
    this.grpcCode = error.code;
    this.details = error.details || error.message;
    this.delivery = delivery;
  }
}

export class PluginConnection {
  readonly #client: Client;

  constructor(handshake: Handshake, tls: ClientTls | undefined) {
    let creds: ChannelCredentials = credentials.createInsecure();
    const options: Record<string, string | number> = {
      // A plugin is one local process: no resolver tricks, no reconnect storm.
      'grpc.max_reconnect_backoff_ms': 1000,
      'grpc.enable_retries': 0,
      // channelz bookkeeping costs on every call; nothing here reads it.
      'grpc.enable_channelz': 0,
    };
    if (tls !== undefined) {
      creds = credentials.createSsl(
        Buffer.from(tls.serverCertPem),
        Buffer.from(tls.clientCert.keyPem),
        Buffer.from(tls.clientCert.certPem),
      );
      // go-plugin certificates are issued for "localhost" whatever the address.
      options['grpc.ssl_target_name_override'] = 'localhost';
      options['grpc.default_authority'] = 'localhost';
    }
    this.#client = new Client(channelTarget(handshake), creds, options);
  }

  /**
   * One unary call. The request goes out only on a ready connection: when
   * there is none, the call first waits for one (within its deadline), and
   * a failure to get one is a CallError that was `not-sent`, so the caller
   * knows it may repeat even a call that acts.
   */
  async unary<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, timeoutMs: number): Promise<Res> {
    const deadline = Date.now() + timeoutMs;
    if (!this.#ready()) await this.#connect(method.path, deadline);
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        new Metadata(),
        { deadline },
        (error, response) => {
          if (error) void this.#classify(error, deadline).then((delivery) => reject(new CallError(method.path, error, delivery)));
          else if (response === undefined) reject(new Error(`${method.path}: empty response`));
          else resolve(response);
        },
      );
    });
  }

  /** Whether a failed call's status was the plugin's answer: for a status a broken transport gives too, ask the connection. */
  async #classify(error: ServiceError, deadline: number): Promise<Delivery> {
    // Our own timer fires at the deadline, never before it (a millisecond of slack for the clock's rounding).
    if (!ambiguous(error.code)) return deliveryOf(error.code, true, Date.now() < deadline - 1);
    if (!this.#ready()) return deliveryOf(error.code, false);
    try {
      await this.#probe();
      return deliveryOf(error.code, true);
    } catch {
      return deliveryOf(error.code, false);
    }
  }

  /** One health check without waiting for a connection: fails at once on a connection that is gone. */
  #probe(): Promise<void> {
    return new Promise((resolve, reject) => {
      const method = healthService.check;
      this.#client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        create(HealthCheckRequestSchema, { service: PLUGIN_HEALTH_SERVICE }),
        new Metadata(),
        { deadline: Date.now() + PROBE_MS },
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }

  #ready(): boolean {
    return this.#client.getChannel().getConnectivityState(false) === connectivityState.READY;
  }

  #connect(path: string, deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#client.waitForReady(deadline, (error) => {
        if (error === undefined) resolve();
        else reject(new CallError(path, { code: status.UNAVAILABLE, details: `no connection to the plugin: ${error.message}`, message: error.message }, 'not-sent'));
      });
    });
  }

  /** One health check of service "plugin". */
  async health(timeoutMs: number): Promise<ServingStatus> {
    const response = await this.unary(healthService.check, create(HealthCheckRequestSchema, { service: PLUGIN_HEALTH_SERVICE }), timeoutMs);
    return response.status;
  }

  /** GRPCController.Shutdown: asks the plugin to exit. */
  async shutdown(timeoutMs: number): Promise<void> {
    await this.unary(controllerService.shutdown, create(EmptySchema), timeoutMs);
  }

  /** GRPCStdio.StreamStdio; the stream ends with UNIMPLEMENTED for plugins that do not offer it. */
  streamStdio(): ClientReadableStream<StdioData> {
    const method = stdioService.streamStdio;
    return this.#client.makeServerStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      create(WktEmptySchema),
    ) as ClientReadableStream<StdioData>;
  }

  close(): void {
    this.#client.close();
  }
}

export { ServingStatus };
