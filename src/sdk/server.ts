// The plugin's gRPC server, without any process-wide effects: it binds, builds
// the handshake line and stops cleanly, and can run inside a test process.
// serve.ts wraps it with what only a real plugin process does (stdout, signals,
// exit codes).
import { rm } from 'node:fs/promises';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ENV, chooseVersion, formatHandshake } from '../handshake/index.js';
import type { Network } from '../handshake/index.js';
import { cloudProviderService, controllerService, healthService, stdioService } from '../wire/services.js';
import { controllerHandlers } from './controller.js';
import { HealthState } from './health.js';
import { ListenError, planTcpPorts, planUnixSocket } from './listener.js';
import type { Logger } from './logger.js';
import { cloudProviderHandlers } from './provider-service.js';
import type { CloudProvider } from './provider.js';
import { StdioRelay } from './stdio.js';

export interface PluginServerOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** App protocol versions this plugin speaks; the highest one the host also offers wins. */
  readonly appVersions?: readonly number[];
  readonly network?: Network;
  /** Called when the host asks for a shutdown through GRPCController. */
  readonly onShutdownRequest?: () => void;
}

/** After a graceful stop has waited this long, open connections are cut. */
const GRACEFUL_STOP_MS = 500;

async function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => (error ? reject(error) : resolve(port)));
  });
}

async function serverCredentials(env: PluginServerOptions['env'], logger: Logger) {
  const clientCert = env[ENV.clientCert];
  if (!clientCert) return { credentials: ServerCredentials.createInsecure(), certField: undefined };
  if (!clientCert.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ListenError(`${ENV.clientCert} is set but holds no PEM certificate; the host's AutoMTLS setup is broken`);
  }
  // Loaded only for AutoMTLS: certificate generation pulls in an ASN.1 stack
  // that a plain start should not pay for.
  const { createEphemeralCertificate, certificateToHandshakeField } = await import('../wire/certificate.js');
  const cert = await createEphemeralCertificate();
  logger.debug('configured automatic mTLS');
  return {
    credentials: ServerCredentials.createSsl(
      Buffer.from(clientCert),
      [{ private_key: Buffer.from(cert.keyPem), cert_chain: Buffer.from(cert.certPem) }],
      true,
    ),
    certField: certificateToHandshakeField(cert.der),
  };
}

export class PluginServer {
  readonly handshake: string;
  readonly network: Network;
  readonly address: string;
  readonly appVersion: number;
  readonly health: HealthState;
  readonly stdio: StdioRelay;
  readonly #server: Server;
  readonly #socketDir: string | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(init: {
    server: Server;
    network: Network;
    address: string;
    appVersion: number;
    certField: string | undefined;
    socketDir: string | undefined;
    health: HealthState;
    stdio: StdioRelay;
  }) {
    this.#server = init.server;
    this.network = init.network;
    this.address = init.address;
    this.appVersion = init.appVersion;
    this.#socketDir = init.socketDir;
    this.health = init.health;
    this.stdio = init.stdio;
    this.handshake = formatHandshake({
      appVersion: init.appVersion,
      network: init.network,
      address: init.address,
      ...(init.certField === undefined ? {} : { serverCert: init.certField }),
    });
  }

  static async start(provider: CloudProvider, options: PluginServerOptions): Promise<PluginServer> {
    const { env, logger } = options;
    const choice = chooseVersion(env[ENV.protocolVersions], options.appVersions ?? [1]);
    const appVersion = choice.version;
    if (choice.mismatch !== undefined) {
      // Served anyway, as go-plugin does: the host then names the mismatch in its own words.
      logger.error(
        { error: choice.mismatch.message, versionsOffered: env[ENV.protocolVersions], appVersion },
        `the host offers no plugin protocol version this plugin speaks; answering with version ${appVersion} so the host can report the mismatch`,
      );
    }
    const { credentials, certField } = await serverCredentials(env, logger);

    const health = new HealthState();
    const stdio = new StdioRelay();
    const server = new Server();
    server.addService(cloudProviderService, cloudProviderHandlers(provider, logger));
    server.addService(healthService, health.handlers());
    server.addService(controllerService, controllerHandlers(() => options.onShutdownRequest?.()));
    server.addService(stdioService, stdio.handlers());

    const network = options.network ?? 'unix';
    const init = { server, network, appVersion, certField, health, stdio };
    if (network === 'unix') {
      const plan = await planUnixSocket(env);
      try {
        await bind(server, `unix:${plan.path}`, credentials);
      } catch (error) {
        await rm(plan.dir, { recursive: true, force: true });
        throw new ListenError(`cannot listen on ${plan.path}: ${(error as Error).message}`);
      }
      return new PluginServer({ ...init, address: plan.path, socketDir: plan.dir });
    }
    const plan = planTcpPorts(env);
    for (const candidate of plan.ports) {
      try {
        const bound = await bind(server, `127.0.0.1:${candidate}`, credentials);
        return new PluginServer({ ...init, address: `127.0.0.1:${bound}`, socketDir: undefined });
      } catch {
        // Taken: try the next port in the host's range.
      }
    }
    server.forceShutdown();
    throw new ListenError(`no free TCP port on 127.0.0.1 in ${env[ENV.minPort]}..${env[ENV.maxPort]}; widen the host's port range`);
  }

  /** Stops serving: ends open streams, lets in-flight calls finish briefly, removes the socket directory. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.health.shutdown();
      this.stdio.shutdown();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          this.#server.forceShutdown();
          resolve();
        }, GRACEFUL_STOP_MS);
        this.#server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      if (this.#socketDir !== undefined) await rm(this.#socketDir, { recursive: true, force: true });
    })();
    return this.#stopping;
  }
}
