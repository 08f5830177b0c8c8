// snoozebot plugins list | info | load | unload | restart: the daemon's
// plugins. (`plugins check`, which needs no daemon, is in plugins-check.ts.)
import type { Argv } from 'yargs';
import { formatPluginInfo, formatPluginTable } from '../format.js';
import { printJson, printText } from '../output.js';
import { withDaemon } from '../run.js';
import type { GlobalArgs } from '../run.js';

interface NameArgs extends GlobalArgs {
  name: string;
}

const ACTIONS = {
  load: 'Start a plugin from the plugins directory (also one that is unloaded or failed)',
  unload: 'Stop a plugin and keep it stopped until it is loaded again',
  restart: 'Stop a plugin and start it again (resets its crash count)',
} as const;

const PAST = { load: 'loaded', unload: 'unloaded', restart: 'restarted' } as const;

const nameArg = (y: Argv) =>
  y.positional('name', { type: 'string', demandOption: true, describe: "the plugin's name: its file name in the plugins directory" });

export function pluginsCommands(yargs: Argv): Argv {
  let y = yargs
    .command<GlobalArgs>(
      'list',
      'List the plugins with their state, pid, uptime, restarts, provider and last error',
      (b) =>
        b
          .example('$0 plugins list', 'table of all plugins, like pm2 ls')
          .example('$0 plugins list --json', 'array of plugin status objects, for scripts'),
      (args) =>
        withDaemon(args, async (client) => {
          const plugins = await client.listPlugins();
          if (args.json) printJson(plugins);
          else printText(formatPluginTable(plugins, new Date()));
        }),
    )
    .command<NameArgs>(
      'info <name>',
      'Show everything the daemon knows about one plugin: state and why, pid, provider, errors',
      (b) =>
        nameArg(b)
          .example('$0 plugins info aws', 'details of the plugin /etc/snoozebot/plugins/aws')
          .example('$0 plugins info aws --json', 'the same as JSON'),
      (args) =>
        withDaemon(args, async (client) => {
          const plugin = await client.pluginInfo(args.name);
          if (args.json) printJson(plugin);
          else printText(formatPluginInfo(plugin, new Date()));
        }),
    );
  for (const action of Object.keys(ACTIONS) as (keyof typeof ACTIONS)[]) {
    y = y.command<NameArgs>(
      `${action} <name>`,
      ACTIONS[action],
      (b) => nameArg(b).example(`$0 plugins ${action} aws`, `${action} the plugin named aws`),
      (args) =>
        withDaemon(args, async (client) => {
          const plugin = await client.pluginAction(args.name, action);
          if (args.json) printJson(plugin);
          else printText(`${plugin.name}: ${PAST[action]}; wanted ${plugin.wanted}, now ${plugin.state}${plugin.reason ? ` (${plugin.reason})` : ''}`);
        }),
    );
  }
  return y;
}
