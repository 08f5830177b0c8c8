// snoozebot plugins check PATH: no daemon needed. The check itself is in
// plugins-check-run.ts, loaded only when this command runs.
import type { Argv } from 'yargs';
import type { Diagnosis } from '../../host/diagnose.js';
import { EXIT } from '../exit-codes.js';
import { formatTable } from '../format.js';
import { printJson } from '../output.js';

interface CheckArgs {
  path: string;
  json: boolean;
  mtls: boolean;
  timeout: number;
  'log-level': string;
}

function render(diagnosis: Diagnosis): string {
  const rows = diagnosis.steps.map((s) => [s.ok ? (s.warning ? '!' : '✓') : '✗', s.step, `${s.ms.toFixed(1)} ms`, s.detail]);
  const verdict = diagnosis.ok
    ? `ok: ${diagnosis.path} works as a snoozebot plugin`
    : `failed: ${diagnosis.path}: ${diagnosis.error?.code ?? 'CHECK_FAILED'}`;
  return `${formatTable(rows)}\n${verdict}\n`;
}

export function pluginsCheckCommand(yargs: Argv): Argv {
  return yargs.command<CheckArgs>(
    'check <path>',
    'Start one plugin binary without a daemon, walk through the go-plugin handshake and every call, then stop it; ' +
      'says what does not match when the file is not a snoozebot plugin (another application, protocol, API version)',
    (y) =>
      y
        .positional('path', { type: 'string', demandOption: true, describe: 'plugin executable to check' })
        .option('mtls', { type: 'boolean', default: false, describe: 'use AutoMTLS, as a host with mTLS on would' })
        .option('timeout', {
          type: 'number',
          default: 10_000,
          describe: 'time limit in ms of the handshake, of health SERVING and of each call (the cookie probe has its own 2 s)',
        })
        .option('log-level', { type: 'string', default: 'silent', describe: "log level for the plugin's stderr (e.g. debug)" })
        .example('$0 plugins check ./dist/plugins/local', 'diagnose the bundled local plugin')
        .example('$0 plugins check /etc/snoozebot/plugins/aws --json', 'machine-readable report'),
    async (args) => {
      const { checkPlugin } = await import('./plugins-check-run.js');
      const diagnosis = await checkPlugin(args);
      if (args.json) printJson(diagnosis);
      else process.stdout.write(render(diagnosis));
      process.exitCode = diagnosis.ok ? EXIT.ok : EXIT.failed;
    },
  );
}
