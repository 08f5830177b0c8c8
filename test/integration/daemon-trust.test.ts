// A real daemon, running as root, and the files it trusts: the trust check at
// every start and restart (not only at discovery), what it refuses in the
// plugins directory, and a state directory it must not take records from.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, chown, copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DaemonDir } from '../helpers/daemon.js';
import { runCli } from '../helpers/daemon.js';
import { LOCAL_PLUGIN } from '../helpers/paths.js';

const root = (process.getuid?.() ?? 0) === 0;

test('a symlinked plugin whose target became writable by others is refused at its next restart and crash restart', async (t) => {
  const dir = await DaemonDir.create(t);
  const vendor = join(dir.root, 'vendor');
  await mkdir(join(vendor, 'bin'), { recursive: true, mode: 0o755 });
  await chmod(vendor, 0o755);
  await chmod(join(vendor, 'bin'), 0o755);
  const target = join(vendor, 'bin', 'local');
  await copyFile(LOCAL_PLUGIN, target);
  await chmod(target, 0o755);
  await symlink(target, dir.pluginPath('linked'));
  const daemon = await dir.start();
  const serving = await daemon.waitServing('linked');

  // A change the plugins directory never sees: the target, two levels down.
  await chmod(vendor, 0o777);
  const restarted = await daemon.cli('plugins', 'restart', 'linked');
  assert.equal(restarted.code, 1, restarted.stdout);
  const refused = await daemon.waitForPlugin('linked', (p) => p.state === 'refused');
  assert.equal(refused.pid, null);
  assert.match(refused.reason, new RegExp(`is a symlink to ${target.replace(/[/.]/g, '\\$&')}: ${vendor.replace(/[/.]/g, '\\$&')} is writable by every user \\(mode 0777\\)`));
  assert.equal(refused.lastError, refused.reason);

  // Fixed: a load gives it a fresh chance; then a crash restart checks again.
  await chmod(vendor, 0o755);
  assert.equal((await daemon.cli('plugins', 'load', 'linked')).code, 0);
  const again = await daemon.waitServing('linked', { notPid: serving.pid });
  await chmod(join(vendor, 'bin'), 0o775);
  if (root) await chown(join(vendor, 'bin'), 0, 4242);
  process.kill(again.pid ?? 0, 'SIGKILL');
  const refusedAgain = await daemon.waitForPlugin('linked', (p) => p.state === 'refused' && p.since !== refused.since);
  assert.match(refusedAgain.reason, root ? /bin is writable by its group \(gid 4242, mode 0775\)/ : /bin is owned by uid/);
  assert.equal((await daemon.stop()).code, 0);
});

test('refused at discovery: a group-writable plugin, a script without #!, an empty file, a link another user owns', async (t) => {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('local', LOCAL_PLUGIN);
  await writeFile(dir.pluginPath('noshebang'), 'echo I would run as a shell script\n', { mode: 0o755 });
  await chmod(dir.pluginPath('noshebang'), 0o755);
  await writeFile(dir.pluginPath('empty'), '', { mode: 0o755 });
  await chmod(dir.pluginPath('empty'), 0o755);
  await dir.addPlugin('staff', LOCAL_PLUGIN, 0o775);
  if (root) {
    await chown(dir.pluginPath('staff'), 0, 4242);
    await symlink(LOCAL_PLUGIN, dir.pluginPath('planted'));
    execFileSync('chown', ['-h', '4242:4242', dir.pluginPath('planted')]);
  }
  const daemon = await dir.start();
  await daemon.waitServing('local');
  const list = await daemon.waitFor((ps) => ps.filter((p) => p.state === 'refused').length === (root ? 4 : 2), { what: 'the refusals' });
  const reason = (name: string) => list.find((p) => p.name === name)?.reason ?? '';
  assert.match(reason('noshebang'), /noshebang is not a script with #! or an ELF binary \(it starts with "echo"\)/);
  assert.match(reason('empty'), /empty is not a script with #! or an ELF binary \(it is empty\)/);
  if (root) {
    assert.match(reason('staff'), /staff is writable by its group \(gid 4242, mode 0775\), so any member could change what the daemon runs; chmod g-w/);
    assert.match(reason('planted'), /planted is a symlink owned by uid 4242, not by root, so that user could point it at another program; chown -h root/);
  }
  for (const p of list.filter((p) => p.state === 'refused')) assert.equal(p.pid, null, `${p.name} never ran`);

  // Removed while refused: stopped and forgotten, and the log says it was a removal.
  await rm(dir.pluginPath('empty'));
  await daemon.waitForTransition('empty', 'stopped', 'removed from the plugins directory');
  await daemon.waitFor((ps) => !ps.some((p) => p.name === 'empty'), { what: 'empty to leave the list' });
  assert.equal((await daemon.stop()).code, 0);
});

test('a FIFO among the records in the state directory is skipped with a warning; the daemon starts', async (t) => {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('local', LOCAL_PLUGIN);
  await mkdir(join(dir.stateDir, 'plugins'), { recursive: true, mode: 0o700 });
  await chmod(dir.stateDir, 0o700);
  execFileSync('mkfifo', [join(dir.stateDir, 'plugins', 'local.json')]);
  const daemon = await dir.start();
  await daemon.waitServing('local');
  const warning = daemon.logs.find((l) => l.msg === 'skipped an entry in the state directory that is not a regular file');
  assert.equal(warning?.file, join(dir.stateDir, 'plugins', 'local.json'));
  assert.equal(warning?.reason, 'a FIFO, not a record the daemon wrote; remove it');
  assert.equal((await daemon.stop()).code, 0);
});

test('a state directory others may write: the daemon refuses to start, saying what to do', async (t) => {
  const dir = await DaemonDir.create(t);
  await mkdir(join(dir.stateDir, 'plugins'), { recursive: true, mode: 0o700 });
  await chmod(dir.stateDir, 0o777);
  const result = await runCli(['daemon', '--plugins-dir', dir.pluginsDir, '--socket', dir.socket, '--state-dir', dir.stateDir, '--dry-run'], { TMPDIR: dir.tmpDir });
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `error: refusing the plugin records in state directory ${dir.stateDir}: ${dir.stateDir} is writable by every user (mode 0777), so others could plant records that make the daemon kill processes; chmod 700 ${dir.stateDir}\n`,
  );
});
