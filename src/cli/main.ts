// The snoozebot command line (design.md, "CLI contract").
import yargs from 'yargs';
import type { Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { VERSION } from '../version.js';
import { pluginsCheckCommand } from './commands/plugins-check.js';
import { EXIT } from './exit-codes.js';

export async function main(argv: readonly string[]): Promise<void> {
  await yargs(argv)
    .scriptName('snoozebot')
    .usage('$0 <command>\n\nStops an idle cloud VM through go-plugin compatible cloud-provider plugins.')
    .option('json', { type: 'boolean', default: false, global: true, describe: 'machine-readable output' })
    .command('plugins', 'Inspect plugins', (y: Argv) => pluginsCheckCommand(y).demandCommand(1, 'name a plugins subcommand'))
    .demandCommand(1, 'name a command')
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, error, y) => {
      if (error) throw error;
      process.stderr.write(`${y.help() ? '' : ''}error: ${message}\nrun with --help for usage\n`);
      process.exit(EXIT.usage);
    })
    .parseAsync();
}

await main(hideBin(process.argv));
