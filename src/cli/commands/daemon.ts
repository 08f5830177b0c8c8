// snoozebot daemon: the service itself, in the foreground (systemd runs it
// as Type=simple). Logs are pino JSON on stdout, pretty on a terminal.
// The options are declared here; what runs is in daemon-run.ts, loaded only
// when this command runs.
import type { Argv } from 'yargs';
import { LOG_LEVELS } from '../../daemon/config/log-levels.js';
import type { DaemonArgs } from './daemon-run.js';

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
        .option('dry-run', { type: 'boolean', describe: 'never stop the machine: the daemon sends StopInstance and StartInstance to no plugin, and logs what it would have done' })
        .example('$0 daemon', 'as installed: /etc/snoozebot/config.json, /etc/snoozebot/plugins')
        .example('$0 daemon --plugins-dir ./demo/plugins --socket ./demo/snoozebot.sock --state-dir ./demo/state --dry-run', 'a local try-out'),
    async (args) => {
      const { run } = await import('./daemon-run.js');
      await run(args, argv);
    },
  );
}
