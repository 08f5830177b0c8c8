// The snoozebot command line (docs/architecture.md, "CLI contract").
import yargs from 'yargs';
import type { Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { VERSION } from '../version.js';
import { daemonCommand } from './commands/daemon.js';
import { instanceCommands } from './commands/instance.js';
import { pluginsCheckCommand } from './commands/plugins-check.js';
import { pluginsCommands } from './commands/plugins.js';
import { statusCommand } from './commands/status.js';
import { EXIT } from './exit-codes.js';
import { defaultSocket } from './run.js';

export async function main(argv: readonly string[]): Promise<void> {
  let cli: Argv = yargs(argv)
    .scriptName('snoozebot')
    .usage('$0 <command>\n\nStops an idle cloud VM through go-plugin compatible cloud-provider plugins.')
    .option('json', { type: 'boolean', default: false, global: true, describe: 'machine-readable output' })
    .option('socket', {
      type: 'string',
      global: true,
      default: defaultSocket(),
      defaultDescription: '$SNOOZEBOT_SOCKET, else /run/snoozebot/snoozebot.sock',
      describe: "the daemon's API socket",
      requiresArg: true,
    });

  cli = daemonCommand(cli, argv);

  cli = statusCommand(cli)
    .command('plugins', 'Inspect and control plugins: list, info, load, unload, restart, check', (y: Argv) =>
      pluginsCheckCommand(pluginsCommands(y))
        .example('$0 plugins list', 'all plugins and their state')
        .demandCommand(1, 'name a plugins subcommand'),
    )
    .command('instance', 'Read, stop and start the instance this machine runs on, through a plugin', (y: Argv) =>
      instanceCommands(y)
        .example('$0 instance info', 'the instance as the default provider sees it')
        .demandCommand(1, 'name an instance subcommand'),
    );

  await cli
    .demandCommand(1, 'name a command')
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, error) => {
      if (error) throw error;
      process.stderr.write(`error: ${message}\nrun with --help for usage\n`);
      process.exit(EXIT.usage);
    })
    .parseAsync();
}

// Not a top-level await: the bundle (scripts/bundle.ts) is CommonJS, which has none.
main(hideBin(process.argv)).catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = EXIT.failed;
});
