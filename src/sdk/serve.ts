// serve(): what a plugin's main calls. It owns the process: refuses to run
// without the host's cookie, keeps stdout for the handshake, starts the gRPC
// server, and exits when the host asks, signals, or disappears, always
// removing its socket directory first.
import { setLogger, setLogVerbosity, logVerbosity } from '@grpc/grpc-js';
import { ENV } from '../handshake/index.js';
import { exitUnlessLaunchedByHost } from './launch-guard.js';
import { StdioChannel } from './stdio.js';
import { createLogger, levelFromEnv } from './logger.js';
import type { Logger } from './logger.js';
import { networkFromEnv } from './listener.js';
import type { CloudProvider } from './provider.js';
import { PluginServer } from './server.js';
import { guardProcessStdout } from './stdout-guard.js';
import { rememberParent, watchHost } from './host-watch.js';

export interface ServeOptions {
  /** App protocol versions this plugin speaks (default [1]). */
  readonly appVersions?: readonly number[];
  /** Defaults to the SNOOZEBOT_PLUGIN_NETWORK environment variable, else "unix". */
  readonly network?: 'unix' | 'tcp';
  /** Defaults to an hclog-shaped pino logger on stderr at SNOOZEBOT_LOG_LEVEL (info). */
  readonly logger?: Logger;
}

export interface ServingPlugin {
  readonly server: PluginServer;
  /** Stops the server and exits the process with `code`. */
  shutdown(reason: string, code?: number): Promise<never>;
}

export async function serve(provider: CloudProvider, options: ServeOptions = {}): Promise<ServingPlugin> {
  const env = process.env;
  rememberParent();
  exitUnlessLaunchedByHost(env);
  // Before anything else can print: from here on only the handshake reaches fd 1.
  const guard = guardProcessStdout();
  const logger = options.logger ?? createLogger({ name: provider.name, level: levelFromEnv(env.SNOOZEBOT_LOG_LEVEL) });
  routeGrpcLogs(logger);

  let serving: ServingPlugin | undefined;
  let server: PluginServer;
  try {
    server = await PluginServer.start(provider, {
      env,
      logger,
      network: options.network ?? networkFromEnv(env.SNOOZEBOT_PLUGIN_NETWORK),
      ...(options.appVersions === undefined ? {} : { appVersions: options.appVersions }),
      onShutdownRequest: () => void serving?.shutdown('host requested shutdown'),
    });
  } catch (error) {
    // One hclog line: a go-plugin host relays it at its level, and ours shows
    // it (rendered, not as JSON) among the last stderr lines of a failed start.
    const message = error instanceof Error ? error.message : String(error);
    logger.error({ error: message, versionsOffered: env[ENV.protocolVersions] }, 'plugin failed to start');
    process.exit(1);
  }

  let exiting: Promise<never> | undefined;
  let stopWatching: () => void = () => undefined;
  serving = {
    server,
    shutdown(reason, code = 0) {
      exiting ??= (async () => {
        logger.debug({ reason }, 'plugin shutting down');
        stopWatching();
        await server.stop();
        process.exit(code);
      })();
      return exiting;
    },
  };

  // Signals are handled before the handshake is out: a host may signal as soon
  // as it has read it, and until a listener exists Node's default is to die.
  // SIGINT is ignored like go-plugin does: Ctrl-C in the host's terminal
  // reaches the whole process group, and the host stops its plugins in order.
  process.on('SIGINT', () => logger.debug('ignoring SIGINT; the host stops this plugin'));
  process.on('SIGTERM', () => void serving?.shutdown('received SIGTERM'));
  process.on('SIGHUP', () => void serving?.shutdown('received SIGHUP'));
  process.on('uncaughtException', (error) => {
    logger.fatal({ error: error.message, stack: error.stack }, 'uncaught exception');
    void serving?.shutdown('uncaught exception', 1);
  });
  guard.route((chunk) => {
    if (!server.stdio.write(StdioChannel.STDOUT, chunk)) process.stderr.write(chunk);
  });
  guard.writeHandshake(server.handshake);
  logger.debug({ network: server.network, address: server.address, appVersion: server.appVersion }, 'plugin serving');
  stopWatching = watchHost({ onGone: (reason) => void serving?.shutdown(reason) });

  return serving;
}

/**
 * grpc-js writes its own lines to stderr ("E No address added out of total 1
 * resolved" for every port it could not bind). On a plugin's stderr, which a
 * host reads as hclog JSON, they are noise at best: they go to the plugin's
 * logger at debug level instead. Process-wide, hence here and not in server.ts.
 */
function routeGrpcLogs(logger: Logger): void {
  const write = (...args: unknown[]) => logger.debug({ source: 'grpc-js' }, args.map(String).join(' '));
  setLogger({ error: write, info: write, debug: write });
  setLogVerbosity(logVerbosity.ERROR);
}
