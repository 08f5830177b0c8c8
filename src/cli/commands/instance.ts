// snoozebot instance info | list | stop | start: the VM as a plugin sees it.
// Without --plugin the daemon uses its default provider.
import type { Argv } from 'yargs';
import type { ApiClient } from '../api-client.js';
import { formatInstance, formatInstanceTable } from '../format.js';
import { printJson, printText } from '../output.js';
import { canPrompt, confirm } from '../prompt.js';
import { DeclinedError, reportError, UsageError, withDaemon } from '../run.js';
import type { GlobalArgs } from '../run.js';

interface InstanceArgs extends GlobalArgs {
  plugin: string | undefined;
}

interface StopArgs extends InstanceArgs {
  yes: boolean;
}

const pluginOption = (y: Argv) =>
  y.option('plugin', { type: 'string', describe: "plugin to ask (default: the daemon's default provider)" });

/** Stops through the plugin the user confirmed, so a changed default cannot redirect the stop. */
async function confirmStop(client: ApiClient, plugin: string | undefined): Promise<string> {
  const { plugin: through, instance } = await client.instanceInfo(plugin);
  const ok = await confirm(`Stop instance ${instance.id} (${instance.name}) through plugin ${through}? [y/N]`);
  if (!ok) throw new DeclinedError('not stopped');
  return through;
}

export function instanceCommands(yargs: Argv): Argv {
  return yargs
    .command<InstanceArgs>(
      'info',
      'Show the instance this machine runs on: id, name, type, region, zone, state, launch time',
      (y) =>
        pluginOption(y)
          .example('$0 instance info', 'ask the default provider')
          .example('$0 instance info --plugin aws --json', "ask the aws plugin; the InstanceInfo fields as JSON"),
      (args) =>
        withDaemon(args, async (client) => {
          const answer = await client.instanceInfo(args.plugin);
          if (args.json) printJson(answer.instance);
          else printText(formatInstance(answer.plugin, answer.instance));
        }),
    )
    .command<InstanceArgs>(
      'list',
      'List the instances the plugin can see',
      (y) =>
        pluginOption(y)
          .example('$0 instance list', 'table of instances from the default provider')
          .example('$0 instance list --plugin aws --json', 'array of instances as JSON'),
      (args) =>
        withDaemon(args, async (client) => {
          const answer = await client.listInstances(args.plugin);
          if (args.json) printJson(answer.instances);
          else printText(`plugin: ${answer.plugin}\n${formatInstanceTable(answer.instances)}`);
        }),
    )
    .command<StopArgs>(
      'stop',
      'Stop the instance this machine runs on (asks first on a terminal; scripts pass --yes)',
      (y) =>
        pluginOption(y)
          .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'do not ask for confirmation' })
          .example('$0 instance stop', 'asks "Stop instance i-0abc (web-1) through plugin aws? [y/N]"')
          .example('$0 instance stop --plugin aws --yes', 'stop without asking, e.g. from a script'),
      async (args) => {
        if (!args.yes && !canPrompt()) {
          // Decided before contacting the daemon: nothing happens without a yes.
          const refusal = 'refusing to stop the instance without confirmation: stdin is not a terminal; pass --yes to stop it';
          process.exitCode = reportError(new UsageError(refusal));
          return;
        }
        await withDaemon(args, async (client) => {
          const plugin = args.yes ? args.plugin : await confirmStop(client, args.plugin);
          const answer = await client.instanceOperation('stop', plugin);
          if (args.json) printJson(answer);
          else printText(answer.message);
        });
      },
    )
    .command<InstanceArgs>(
      'start',
      'Start the instance through the plugin (for plugins that manage another machine)',
      (y) =>
        pluginOption(y)
          .example('$0 instance start', 'start through the default provider')
          .example('$0 instance start --plugin aws', 'start through the aws plugin'),
      (args) =>
        withDaemon(args, async (client) => {
          const answer = await client.instanceOperation('start', args.plugin);
          if (args.json) printJson(answer);
          else printText(`${answer.message}${answer.dryRun ? ' (dry run: the plugin was not asked to start)' : ''}`);
        }),
    );
}
