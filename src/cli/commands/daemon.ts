// snoozebot daemon: the service itself, in the foreground (systemd runs it
// as Type=simple). Logs are pino JSON on stdout, pretty on a terminal.
import pino from 'pino';
import type { Logger } from 'pino';
import type { Argv } from 'yargs';
import type { Daemon } from '../../daemon/daemon.js';
import { isConfigError, loadConfig, LOG_LEVELS } from '../../daemon/config/index.js';
import type { ConfigFlags, DaemonConfig } from '../../daemon/config/index.js';
import { EXIT } from '../exit-codes.js';

interface DaemonArgs {
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

async function run(args: DaemonArgs, argv: readonly string[]): Promise<void> {
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
  let daemon: Daemon;
  try {
    // Loaded here, not at the top: every other command would pay for the daemon's modules.
    const { Daemon } = await import('../../daemon/daemon.js');
    daemon = await Daemon.start({ config, logger });
  } catch (error) {
    logger.fatal({ error: (error as Error).message }, 'snoozebot daemon could not start');
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(EXIT.failed);
  }

  const stop = (signal: string) => {
    void daemon.stop(`received ${signal}`).then(
      () => process.exit(EXIT.ok),
      (error: unknown) => {
        logger.error({ error: (error as Error).message }, 'error while stopping');
        process.exit(EXIT.failed);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: reloading the configuration and rescanning the plugins directory');
    load()
      .then(
        (next) => daemon.reload(next),
        (error: unknown) => {
          // A broken edit must not take down a running daemon: keep the old configuration.
          logger.error({ error: (error as Error).message }, 'configuration not reloaded; keeping the previous one');
        },
      )
      .catch((error: unknown) => logger.error({ error: (error as Error).message }, 'configuration reload failed; the daemon goes on with what it had'));
  });
  // A promise nobody handled is a bug in snoozebot, not a reason to drop the plugins it supervises: log it with its context.
  process.on('unhandledRejection', (reason) => {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    logger.error({ error: error.message, code: (error as { code?: unknown }).code, stack: error.stack }, 'unhandled promise rejection; the daemon goes on');
  });
  process.on('uncaughtException', (error) => {
    logger.fatal({ error: error.message, stack: error.stack }, 'uncaught exception; stopping every plugin before exiting');
    void daemon.stop('uncaught exception').finally(() => process.exit(EXIT.failed));
  });
}

export function daemonCommand(yargs: Argv, argv: readonly string[]): Argv {
  return yargs.command<DaemonArgs>(
    'daemon',
    'Run the snoozebot daemon in the foreground: supervise the plugins and serve the local API',
    (y) =>
      y
        .option('config', { type: 'string', describe: 'config file (JSON with comments); default /etc/snoozebot/config.json if present', requiresArg: true })
        .option('plugins-dir', { type: 'string', describe: 'plugins directory (default /etc/snoozebot/plugins)', requiresArg: true })
        .option('state-dir', { type: 'string', describe: 'where plugin pids are recorded (default /var/lib/snoozebot)', requiresArg: true })
        .option('log-level', { type: 'string', choices: LOG_LEVELS, describe: 'log level (default info)' })
        .option('dry-run', { type: 'boolean', describe: 'never stop the machine: only the local plugin is called, and it only records the stop' })
        .example('$0 daemon', 'as installed: /etc/snoozebot/config.json, /etc/snoozebot/plugins')
        .example('$0 daemon --plugins-dir ./demo/plugins --socket ./demo/snoozebot.sock --state-dir ./demo/state --dry-run', 'a local try-out'),
    (args) => run(args, argv),
  );
}
