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

interface OperationArgs extends InstanceArgs {
  yes: boolean;
}

type Operation = 'stop' | 'start';

const pluginOption = (y: Argv) =>
  y.option('plugin', { type: 'string', describe: "plugin to ask (default: the daemon's default provider)" });

const yesOption = (y: Argv) => y.option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'do not ask for confirmation' });

const VERB: Readonly<Record<Operation, string>> = { stop: 'Stop', start: 'Start' };

/** Acts through the plugin the user confirmed, so a changed default cannot redirect the operation. */
async function confirmOperation(client: ApiClient, operation: Operation, plugin: string | undefined): Promise<string> {
  const { plugin: through, instance } = await client.instanceInfo(plugin);
  const ok = await confirm(`${VERB[operation]} instance ${instance.id} (${instance.name}) through plugin ${through}? [y/N]`);
  if (!ok) throw new DeclinedError(operation === 'stop' ? 'not stopped' : 'not started');
  return through;
}

/** stop and start alike: ask on a terminal, refuse without one unless --yes. */
async function operate(args: OperationArgs, operation: Operation): Promise<void> {
  if (!args.yes && !canPrompt()) {
    // Decided before contacting the daemon: nothing happens without a yes.
    const refusal = `refusing to ${operation} the instance without confirmation: stdin is not a terminal; pass --yes to ${operation} it`;
    process.exitCode = reportError(new UsageError(refusal));
    return;
  }
  await withDaemon(args, async (client) => {
    const plugin = args.yes ? args.plugin : await confirmOperation(client, operation, args.plugin);
    const answer = await client.instanceOperation(operation, plugin);
    // In a dry run the daemon's message already says that nothing was sent.
    if (args.json) printJson(answer);
    else printText(answer.message);
  });
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
    .command<OperationArgs>(
      'stop',
      'Stop the instance this machine runs on (asks first on a terminal; scripts pass --yes)',
      (y) =>
        yesOption(pluginOption(y))
          .example('$0 instance stop', 'asks "Stop instance i-0abc (web-1) through plugin aws? [y/N]"')
          .example('$0 instance stop --plugin aws --yes', 'stop without asking, e.g. from a script'),
      (args) => operate(args, 'stop'),
    )
    .command<OperationArgs>(
      'start',
      'Start the instance through the plugin, for plugins that manage another machine (asks first on a terminal; scripts pass --yes)',
      (y) =>
        yesOption(pluginOption(y))
          .example('$0 instance start', 'asks "Start instance i-0abc (web-1) through plugin aws? [y/N]"')
          .example('$0 instance start --plugin aws --yes', 'start without asking, e.g. from a script'),
      (args) => operate(args, 'start'),
    );
}
