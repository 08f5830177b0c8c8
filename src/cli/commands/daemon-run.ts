// What `snoozebot daemon` runs once its arguments are parsed: the config,
// the logger, the Daemon and its signal handlers. A module of its own, loaded
// only by that command (commands/daemon.ts), so no other command pays for
// pino, zod or the daemon's modules; in the bundle it is a chunk compiled
// only when the daemon starts (scripts/bundle.ts).
import pino from 'pino';
import type { Logger } from 'pino';
import type { Daemon } from '../../daemon/daemon.js';
import { isConfigError, loadConfig } from '../../daemon/config/index.js';
import type { ConfigFlags, DaemonConfig } from '../../daemon/config/index.js';
import { EXIT } from '../exit-codes.js';

export interface DaemonArgs {
  config?: string;
  'plugins-dir'?: string;
  socket: string;
  'state-dir'?: string;
  'log-level'?: string;
  'dry-run'?: boolean;
}

async function createLogger(level: string): Promise<Logger> {
  if (process.stdout.isTTY) {
    // Loaded only on a terminal: services log JSON for journald and collectors.
    const { default: pretty } = await import('pino-pretty');
    return pino({ level }, pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino({ level, base: { pid: process.pid } }, pino.destination({ dest: 1, sync: false }));
}

/** --socket is a global option with a default; only an explicit one may override the config file. */
function socketGiven(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === '--socket' || arg.startsWith('--socket='));
}

function flagsFrom(args: DaemonArgs, argv: readonly string[]): ConfigFlags {
  return {
    pluginsDir: args['plugins-dir'],
    socket: socketGiven(argv) ? args.socket : undefined,
    stateDir: args['state-dir'],
    logLevel: args['log-level'],
    dryRun: args['dry-run'] === true ? true : undefined,
  };
}

export async function run(args: DaemonArgs, argv: readonly string[]): Promise<void> {
  const load = (): Promise<DaemonConfig> =>
    loadConfig({ path: args.config, env: process.env, flags: flagsFrom(args, argv) });
  let config: DaemonConfig;
  try {
    config = await load();
  } catch (error) {
    if (!isConfigError(error)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(EXIT.failed);
  }
  const logger = await createLogger(config.logLevel);

  // Signals are taken from before the start: the API answers and the plugins start before Daemon.start
  // returns, and a SIGTERM in that window must stop them once the start is done, not end the daemon by
  // Node's default action and leave them running. A SIGHUP then reloads once the start is done.
  let daemon: Daemon | undefined;
  let stopAfterStart: string | undefined;
  let reloadAfterStart = false;
  const stop = (signal: string) => {
    if (daemon === undefined) {
      if (stopAfterStart === undefined) logger.info({ signal }, `${signal} during the start: stopping as soon as it is done`);
      stopAfterStart ??= signal;
      return;
    }
    void daemon.stop(`received ${signal}`).then(
      () => process.exit(EXIT.ok),
      (error: unknown) => {
        logger.error({ error: (error as Error).message }, 'error while stopping');
        process.exit(EXIT.failed);
      },
    );
  };
  const reload = () => {
    if (daemon === undefined) {
      if (!reloadAfterStart) logger.info('SIGHUP during the start: reloading as soon as it is done');
      reloadAfterStart = true;
      return;
    }
    const running = daemon;
    logger.info('SIGHUP: reloading the configuration and rescanning the plugins directory');
    load()
      .then(
        (next) => running.reload(next),
        (error: unknown) => {
          // A broken edit must not take down a running daemon: keep the old configuration.
          logger.error({ error: (error as Error).message }, 'configuration not reloaded; keeping the previous one');
        },
      )
      .catch((error: unknown) => logger.error({ error: (error as Error).message }, 'configuration reload failed; the daemon goes on with what it had'));
  };

  // A promise nobody handled is a bug in snoozebot, not a reason to drop the plugins it supervises: log it with its context.
  process.on('unhandledRejection', (reason) => {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    logger.error({ error: error.message, code: (error as { code?: unknown }).code, stack: error.stack }, 'unhandled promise rejection; the daemon goes on');
  });
  process.on('uncaughtException', (error) => {
    if (daemon === undefined) {
      // Its records let the next daemon's start reap any plugin this one had spawned.
      logger.fatal({ error: error.message, stack: error.stack }, 'uncaught exception during the start; exiting');
      process.exit(EXIT.failed);
    }
    logger.fatal({ error: error.message, stack: error.stack }, 'uncaught exception; stopping every plugin before exiting');
    void daemon.stop('uncaught exception').finally(() => process.exit(EXIT.failed));
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', reload);

  try {
    // Loaded here, not at the top: every other command would pay for the daemon's modules.
    const { Daemon } = await import('../../daemon/daemon.js');
    daemon = await Daemon.start({ config, logger });
  } catch (error) {
    logger.fatal({ error: (error as Error).message }, 'snoozebot daemon could not start');
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(EXIT.failed);
  }
  if (stopAfterStart !== undefined) stop(stopAfterStart);
  else if (reloadAfterStart) reload();
}

