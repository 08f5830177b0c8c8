// snoozebot status: the daemon in a few lines.
import type { Argv } from 'yargs';
import { formatStatus } from '../format.js';
import { printJson, printText } from '../output.js';
import { withDaemon } from '../run.js';
import type { GlobalArgs } from '../run.js';

export function statusCommand(yargs: Argv): Argv {
  return yargs.command<GlobalArgs>(
    'status',
    "Show the daemon's version, uptime, settings and how many plugins are serving or failed",
    (y) =>
      y
        .example('$0 status', 'short summary of the running daemon')
        .example('$0 status --json', 'the same as JSON (GET /v1/status)')
        .example('$0 status --socket /tmp/snoozebot.sock', 'ask a daemon listening on another socket'),
    (args) =>
      withDaemon(args, async (client) => {
        const status = await client.status();
        if (args.json) printJson(status);
        else printText(formatStatus(status));
      }),
  );
}
