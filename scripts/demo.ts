// npm run demo: the daemon in the foreground on a demo plugins directory
// holding the bundled local plugin, in dry run, with its socket beside it, so
// a second terminal can talk to it. Nothing outside ./demo is touched.
import { spawn } from 'node:child_process';
import { copyFile, chmod, mkdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const demo = join(root, 'demo');
const pluginsDir = join(demo, 'plugins');
const socket = join(demo, 'snoozebot.sock');

await mkdir(pluginsDir, { recursive: true, mode: 0o755 });
await chmod(demo, 0o755);
await chmod(pluginsDir, 0o755);
await copyFile(join(root, 'dist/plugins/local'), join(pluginsDir, 'local'));
await chmod(join(pluginsDir, 'local'), 0o755);

const cli = relative(process.cwd(), join(root, 'bin/snoozebot')) || 'bin/snoozebot';
const sock = relative(process.cwd(), socket);
process.stderr.write(
  [
    'snoozebot demo: the daemon on ./demo/plugins (the local plugin, dry run). In another terminal:',
    `  ${cli} --socket ${sock} plugins list`,
    `  ${cli} --socket ${sock} instance info`,
    `  ${cli} --socket ${sock} instance stop --yes     # dry run: the local plugin only records it`,
    'Ctrl-C stops the daemon and its plugin.',
    '',
  ].join('\n'),
);

const daemon = spawn(
  process.execPath,
  [join(root, 'bin/snoozebot'), 'daemon', '--plugins-dir', pluginsDir, '--socket', socket, '--state-dir', join(demo, 'state'), '--dry-run'],
  { stdio: 'inherit' },
);
// Ctrl-C reaches the daemon directly (same terminal process group); this
// process only waits for it, and passes on a SIGTERM sent to it alone.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => daemon.kill('SIGTERM'));
daemon.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
