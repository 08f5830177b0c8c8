// snoozebot status: the daemon and the machine's idle state in a few lines.
import type { Argv } from 'yargs';
import { formatStatusReport } from '../format-idle.js';
import { printJson, printText } from '../output.js';
import { withDaemon } from '../run.js';
import type { GlobalArgs } from '../run.js';

export function statusCommand(yargs: Argv): Argv {
  return yargs.command<GlobalArgs>(
    'status',
    "Show the daemon's version, uptime, settings and plugin counts, and whether the machine is idle or busy (for how long, which signals are busy against their thresholds) and when it would stop",
    (y) =>
      y
        .example('$0 status', 'short summary of the running daemon and the idle state')
        .example('$0 status --json', 'the same as JSON (GET /v1/status; the idle state is its "idle" field)')
        .example('$0 status --socket /tmp/snoozebot.sock', 'ask a daemon listening on another socket'),
    (args) =>
      withDaemon(args, async (client) => {
        const status = await client.status();
        if (args.json) printJson(status);
        else printText(formatStatusReport(status, new Date()));
      }),
  );
}
