// npm run demo: the daemon in the foreground on a demo plugins directory
// holding the bundled local plugin, in dry run, with its socket beside it, so
// a second terminal can talk to it. Nothing outside ./demo is touched.
// Idle detection runs with a short nap (2 min, no grace), so the demo shows a
// dry-run snooze: `status` says what keeps the machine busy and when it would
// stop, and after the nap the local plugin records the stop.
import { spawn } from 'node:child_process';
import { copyFile, chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const demo = join(root, 'demo');
const pluginsDir = join(demo, 'plugins');
const socket = join(demo, 'snoozebot.sock');
const config = join(demo, 'config.json');

await mkdir(pluginsDir, { recursive: true, mode: 0o755 });
await chmod(demo, 0o755);
await chmod(pluginsDir, 0o755);
await copyFile(join(root, 'dist/plugins/local'), join(pluginsDir, 'local'));
await chmod(join(pluginsDir, 'local'), 0o755);
const demoConfig = {
  idle: { napTimeMs: 120_000, checkIntervalMs: 5_000, graceMs: 0, cancelWindowMs: 10_000 },
};
await writeFile(config, `${JSON.stringify(demoConfig, null, 2)}\n`);

const cli = relative(process.cwd(), join(root, 'bin/snoozebot')) || 'bin/snoozebot';
const sock = relative(process.cwd(), socket);
process.stderr.write(
  [
    'snoozebot demo: the daemon on ./demo/plugins (the local plugin, dry run). In another terminal:',
    `  ${cli} --socket ${sock} status                  # idle or busy, which signal, when it would stop`,
    `  ${cli} --socket ${sock} plugins list`,
    `  ${cli} --socket ${sock} instance info`,
    `  ${cli} --socket ${sock} instance stop --yes     # dry run: the local plugin only records it`,
    'Idle detection: a 2 min nap (demo/config.json); once idle that long, the local plugin records a stop.',
    'Ctrl-C stops the daemon and its plugin.',
    '',
  ].join('\n'),
);

const daemon = spawn(
  process.execPath,
  [join(root, 'bin/snoozebot'), 'daemon', '--config', config, '--plugins-dir', pluginsDir, '--socket', socket, '--state-dir', join(demo, 'state'), '--dry-run'],
  { stdio: 'inherit' },
);
// Ctrl-C reaches the daemon directly (same terminal process group); this
// process only waits for it, and passes on a SIGTERM sent to it alone.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => daemon.kill('SIGTERM'));
daemon.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
