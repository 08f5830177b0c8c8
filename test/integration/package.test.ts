// The Debian package (issue 14): what `npm run package` builds, the unit's
// hardening, and, where allowed, the package installed on this very machine
// and removed again without a trace.
//
// The install test changes the system (files under /usr, /etc, /var, a group,
// a running daemon), so it runs only as root and only in CI or when
// SNOOZEBOT_TEST_INSTALL_PACKAGE=1 says so, and holds a machine-wide lock so
// two runs never overlap. Elsewhere it is skipped with the reason printed.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { lstat, mkdtemp, rm, stat, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { buildDeb, debFileName } from '../../scripts/package.js';
import { VERSION } from '../../src/version.js';
import { assertPidGone } from '../helpers/leftovers.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { acquireSystemLock } from '../helpers/system-lock.js';

const run = promisify(execFile);
const UNIT = join(REPO_ROOT, 'packaging/snoozebot.service');
const MAX_EXPOSURE = 4.5;

async function which(command: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${command}`]).then(
    () => true,
    () => false,
  );
}

/** Skips with the reason printed, or fails under CI, where every tool is installed by .ci/run. */
function unavailable(t: TestContext, reason: string): void {
  if (process.env.CI) throw new Error(`required in CI: ${reason}`);
  console.log(`skipping: ${reason}`);
  t.skip(reason);
}

let debPromise: Promise<{ deb: string; dir: string }> | undefined;
/** One .deb for the whole file, built from dist/ like `npm run package` does. */
function theDeb(): Promise<{ deb: string; dir: string }> {
  debPromise ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'snoozebot-deb-test-'));
    return { deb: await buildDeb(dir, REPO_ROOT), dir };
  })();
  return debPromise;
}

test.after(async () => {
  if (debPromise !== undefined) await rm((await debPromise).dir, { recursive: true, force: true });
});

test('the unit is hardened: systemd-analyze security rates it 4.5 or better', async (t) => {
  if (!(await which('systemd-analyze'))) return unavailable(t, 'systemd-analyze not found (Debian package systemd)');
  const { stdout } = await run('systemd-analyze', ['security', '--offline=true', '--no-pager', UNIT]).catch(
    (error: { stdout?: string; stderr?: string }) => ({ stdout: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
  );
  const exposure = /Overall exposure level for snoozebot\.service: (\d+\.\d+)/.exec(stdout)?.[1];
  assert.ok(exposure !== undefined, `systemd-analyze printed an exposure level:\n${stdout}`);
  console.log(`systemd-analyze security: exposure ${exposure}`);
  assert.ok(Number(exposure) <= MAX_EXPOSURE, `exposure ${exposure} > ${MAX_EXPOSURE}:\n${stdout}`);
  const unit = readFileSync(UNIT, 'utf8');
  for (const directive of [
    'ProtectSystem=strict',
    'StateDirectory=snoozebot',
    'RuntimeDirectory=snoozebot',
    'UMask=0077',
    'Group=snoozebot',
    'Delegate=yes',
    'NoNewPrivileges=yes',
    'RestrictAddressFamilies=',
    'SystemCallFilter=@system-service',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'PrivateTmp=yes',
    'LockPersonality=yes',
    'ExecStart=/usr/bin/snoozebot daemon',
  ]) {
    assert.ok(unit.split('\n').some((line) => line.startsWith(directive)), `the unit has ${directive}`);
  }
});

test('the .deb holds the bundles and no node_modules, and lintian finds no error', { timeout: 180_000 }, async (t) => {
  if (!(await which('dpkg-deb'))) return unavailable(t, 'dpkg-deb not found (Debian package dpkg)');
  const { deb } = await theDeb();
  assert.ok(deb.endsWith(debFileName()));
  const info = (await run('dpkg-deb', ['--field', deb, 'Package', 'Version', 'Architecture', 'Depends'])).stdout;
  assert.match(info, /^Package: snoozebot$/m);
  assert.match(info, new RegExp(`^Version: ${VERSION.replaceAll('.', '\\.')}$`, 'm'));
  assert.match(info, /^Architecture: all$/m);
  assert.match(info, /^Depends: nodejs \(>= 20\.19\)/m);
  const listing = (await run('dpkg-deb', ['--contents', deb])).stdout;
  const paths = listing
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (/ \.(\/\S*)/.exec(l)?.[1] ?? '').replace(/\/$/, ''));
  const plugins = readdirSync(join(REPO_ROOT, 'dist/plugins')).sort();
  assert.ok(plugins.includes('local') && plugins.includes('aws'));
  for (const expected of [
    '/usr/bin/snoozebot',
    '/usr/lib/snoozebot/snoozebot',
    '/usr/lib/snoozebot/chunks/cli.js',
    '/usr/lib/snoozebot/chunks/daemon.js',
    ...plugins.map((p) => `/usr/lib/snoozebot/plugins/${p}`),
    '/etc/snoozebot/config.json',
    '/etc/snoozebot/plugins',
    '/lib/systemd/system/snoozebot.service',
    '/usr/share/doc/snoozebot/copyright',
  ]) {
    assert.ok(paths.includes(expected), `the package has ${expected}`);
  }
  assert.deepEqual(paths.filter((p) => p.includes('node_modules')), [], 'no node_modules');
  assert.deepEqual(
    paths.filter((p) => p.startsWith('/etc/snoozebot/plugins/')),
    [],
    'no plugin enabled: /etc/snoozebot/plugins is empty until the admin links one in',
  );
  assert.match(listing, /^-rw-r--r-- root\/root .* \.\/etc\/snoozebot\/config\.json$/m);
  assert.match(listing, /^drwxr-xr-x root\/root .* \.\/etc\/snoozebot\/plugins\/$/m);
  const size = (await stat(deb)).size;
  console.log(`${debFileName()}: ${(size / 1024 / 1024).toFixed(2)} MiB`);

  if (!(await which('lintian'))) return unavailable(t, 'lintian not found (Debian package lintian)');
  const out = await run('lintian', ['--no-tag-display-limit', deb], { timeout: 150_000 }).then(
    (r) => r.stdout,
    (error: { stdout?: string }) => error.stdout ?? '',
  );
  const errors = out.split('\n').filter((l) => l.startsWith('E:'));
  assert.deepEqual(errors, [], `lintian errors:\n${out}`);
  console.log(`lintian: ${out.trim() === '' ? 'clean' : out.trim()}`);
});

// ---- installed on this machine ----------------------------------------------

const LOCK = '/run/lock/snoozebot-package-test';
/** Where the package puts things, or where they come from when it runs. */
const SEARCH_ROOTS = ['/etc', '/usr/bin', '/usr/lib', '/usr/share/doc', '/usr/share/man/man1', '/lib/systemd', '/var/lib', '/var/cache', '/run'];

function installAllowed(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: installing a package needs root';
  if (!process.env.CI && process.env.SNOOZEBOT_TEST_INSTALL_PACKAGE !== '1') {
    return 'it installs and purges a package on this machine: runs only in CI or with SNOOZEBOT_TEST_INSTALL_PACKAGE=1 (as root)';
  }
  return undefined;
}

/** Every path under the roots whose name mentions snoozebot. */
function traces(): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.name.includes('snoozebot')) found.push(path);
      if (entry.isDirectory() && depth < 6) walk(path, depth + 1);
    }
  };
  for (const root of SEARCH_ROOTS) walk(root, 0);
  return found.sort();
}

/** Processes whose command line runs anything the package installed. */
function packageProcesses(): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const argv = cmdline.split('\0');
    if (argv.some((a) => a.startsWith('/usr/lib/snoozebot/') || a === '/usr/bin/snoozebot' || a.startsWith('/etc/snoozebot/'))) {
      found.push(`${entry}: ${argv.join(' ').trim()}`);
    }
  }
  return found;
}

async function groupExists(): Promise<boolean> {
  return run('getent', ['group', 'snoozebot']).then(
    () => true,
    () => false,
  );
}

interface Installed {
  (args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** `snoozebot ARGS` as installed, from `/`, with this test's Node first on PATH. */
const snoozebot: Installed = (args) =>
  new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/snoozebot', args, { cwd: '/', env: pathWithThisNode(), stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });

function pathWithThisNode(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('SNOOZEBOT_')) env[key] = value;
  return { ...env, PATH: `${join(process.execPath, '..')}:${process.env.PATH ?? '/usr/bin:/bin'}` };
}

function startDaemon(): { child: ChildProcess; log: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn('/usr/bin/snoozebot', ['daemon'], { cwd: '/', env: pathWithThisNode(), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, log: () => log, exited };
}

interface PluginRow {
  name: string;
  state: string;
  pid: number | null;
}

/** Polls `plugins list --json` through the packaged socket until local serves (the daemon is another process: no event to await). */
async function untilServing(daemon: ReturnType<typeof startDaemon>): Promise<PluginRow> {
  const deadline = Date.now() + 30_000;
  let last = '';
  for (;;) {
    const result = await snoozebot(['plugins', 'list', '--json']);
    if (result.code === 0) {
      const local = (JSON.parse(result.stdout) as PluginRow[]).find((p) => p.name === 'local');
      if (local?.state === 'serving' && local.pid !== null) return local;
      last = result.stdout;
    } else {
      last = result.stderr;
    }
    if (daemon.child.exitCode !== null) assert.fail(`the daemon exited (${daemon.child.exitCode}):\n${daemon.log()}`);
    if (Date.now() > deadline) assert.fail(`local not serving within 30 s: ${last}\n${daemon.log()}`);
    await delay(100);
  }
}

test('installed with dpkg: runs from /, serves on the packaged socket, and dpkg -r / -P leave nothing behind', { timeout: 600_000 }, async (t) => {
  const why = installAllowed();
  if (why !== undefined) {
    console.log(`skipping the package install test: ${why}`);
    t.skip(why);
    return;
  }
  if (!(await which('dpkg-deb'))) return unavailable(t, 'dpkg-deb not found');
  const lock = await acquireSystemLock(LOCK, 600_000);
  t.after(() => lock.release());
  const installed = await run('dpkg-query', ['-W', '-f=${Status}', 'snoozebot']).then(
    (r) => r.stdout.includes('installed'),
    () => false,
  );
  if (installed || existsSync('/etc/snoozebot') || (await groupExists())) {
    // Not ours to replace: an admin's installation, or one a crashed run left (then remove it by hand).
    assert.fail('snoozebot is already installed on this machine (or /etc/snoozebot or the group exists): dpkg -P snoozebot first');
  }
  const before = traces();
  const { deb } = await theDeb();
  const link = '/etc/snoozebot/plugins/local';
  let daemon: ReturnType<typeof startDaemon> | undefined;
  t.after(async () => {
    // Whatever failed above, leave the machine as it was.
    if (daemon !== undefined && daemon.child.exitCode === null) {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
    await unlink(link).catch(() => undefined);
    await run('dpkg', ['-P', 'snoozebot']).catch(() => undefined);
  });

  const t0 = performance.now();
  await run('dpkg', ['-i', deb], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  console.log(`dpkg -i: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  assert.ok(await groupExists(), 'the group snoozebot exists');

  const version = await snoozebot(['--version']);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout.trim(), VERSION);
  const check = await snoozebot(['plugins', 'check', '/usr/lib/snoozebot/plugins/local']);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /^ok: \/usr\/lib\/snoozebot\/plugins\/local works as a snoozebot plugin$/m);

  await symlink('/usr/lib/snoozebot/plugins/local', link);
  daemon = startDaemon();
  const local = await untilServing(daemon);
  const status = await snoozebot(['status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^plugins: +1 total, 1 serving, 0 failed$/m);
  assert.match(status.stdout, /^socket: +\/run\/snoozebot\/snoozebot\.sock$/m);
  assert.match(status.stdout, /^plugins dir: +\/etc\/snoozebot\/plugins$/m);
  daemon.child.kill('SIGTERM');
  assert.deepEqual(await daemon.exited, { code: 0, signal: null }, daemon.log());
  await assertPidGone(local.pid as number);

  // Started again and left running: removing the package stops it and its plugin.
  daemon = startDaemon();
  const again = await untilServing(daemon);
  await run('dpkg', ['-r', 'snoozebot']);
  assert.notEqual((await daemon.exited).code, null, 'the daemon exited on dpkg -r');
  await assertPidGone(again.pid as number);
  assert.deepEqual(packageProcesses(), [], 'no process of the package is left');
  assert.ok(!existsSync('/usr/lib/snoozebot') && !existsSync('/usr/bin/snoozebot'), 'dpkg -r removes the programs');
  assert.ok(existsSync('/etc/snoozebot/config.json'), 'dpkg -r keeps the configuration');

  await run('dpkg', ['-P', 'snoozebot']);
  // What the admin added stays (and the directories it is in); nothing else.
  assert.deepEqual(traces().filter((p) => !before.includes(p)), ['/etc/snoozebot'], 'after dpkg -P only /etc/snoozebot remains');
  assert.deepEqual(readdirSync('/etc/snoozebot'), ['plugins']);
  assert.deepEqual(readdirSync('/etc/snoozebot/plugins'), ['local'], 'the admin-added plugin link');
  assert.ok((await lstat(link)).isSymbolicLink());
  await unlink(link);
  await rm('/etc/snoozebot', { recursive: true });
  assert.deepEqual(traces().filter((p) => !before.includes(p)), [], 'nothing of the package is left');
  assert.deepEqual(packageProcesses(), []);
  assert.equal(await groupExists(), false, 'dpkg -P removes the group');
});
