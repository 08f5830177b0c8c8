import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmod, chown, copyFile, lchown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginDirError, inspectPlugin, scanPluginDir } from '../../src/daemon/plugin-dir/index.js';
import type { PluginDirEntry, Verdict } from '../../src/daemon/plugin-dir/index.js';

const SCRIPT = '#!/bin/sh\nexit 0\n';
const WRONG_PIN = 'ab'.repeat(32);
const myUid = process.getuid?.() ?? 0;

function reasonOf(verdict: Verdict | undefined): string {
  assert.ok(verdict !== undefined, 'no verdict');
  assert.equal(verdict.ok, false, 'expected a refusal');
  return verdict.ok ? '' : verdict.reason;
}

describe('scanPluginDir on a real directory', () => {
  let base = '';
  let dir = '';
  let outside = '';
  /** The uid the scan runs as: the file owner is "another user" to it. */
  let daemonUid = myUid;
  let pinnedSha = '';
  let entries: PluginDirEntry[] = [];
  const byName = (name: string) => entries.find((e) => e.name === name);

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'snoozebot-scan-'));
    dir = join(base, 'plugins');
    outside = join(base, 'opt');
    await mkdir(dir, { mode: 0o755 });
    await mkdir(outside, { mode: 0o755 });
    const put = async (name: string, mode: number, content = SCRIPT, where = dir) => {
      await writeFile(join(where, name), content);
      await chmod(join(where, name), mode); // explicit: writeFile's mode is subject to the umask
    };
    await put('good', 0o755);
    await put('noexec', 0o644);
    await put('worldwritable', 0o777);
    await put('.hidden', 0o755);
    await put('good~', 0o755);
    await put('good.dpkg-new', 0o755);
    await mkdir(join(dir, 'subdir'));
    await put('pinned', 0o755, '#!/bin/sh\necho pinned\n');
    pinnedSha = createHash('sha256').update('#!/bin/sh\necho pinned\n').digest('hex');
    await put('pinned-ok', 0o755, '#!/bin/sh\necho pinned\n');
    await put('target', 0o755, SCRIPT, outside);
    await put('target-noexec', 0o644, SCRIPT, outside);
    await symlink(join(outside, 'target'), join(dir, 'link'));
    await symlink(join(outside, 'target-noexec'), join(dir, 'link-noexec'));
    await symlink(join(outside, 'missing'), join(dir, 'dangling'));
    await symlink(outside, join(dir, 'link-to-dir'));
    await put('foreign', 0o755);
    if (myUid === 0) await chown(join(dir, 'foreign'), 4242, 4242);
    // Not root: files are owned by us, so a daemon running as anyone else
    // sees every file as owned by "another non-root user"; only `foreign`
    // is judged with that uid below.
    else daemonUid = myUid + 1;

    entries = await scanPluginDir(dir, { uid: myUid, pins: { pinned: WRONG_PIN, 'pinned-ok': `sha256:${pinnedSha.toUpperCase()}` } });
  });

  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('lists the candidates by name, passing over hidden, backup and package files and directories', () => {
    assert.deepEqual(
      entries.map((e) => e.name),
      ['dangling', 'foreign', 'good', 'link', 'link-noexec', 'noexec', 'pinned', 'pinned-ok', 'worldwritable'],
    );
    assert.equal(byName('good')?.path, join(dir, 'good'));
  });

  it('accepts an executable script', () => {
    assert.deepEqual(byName('good')?.verdict, { ok: true });
  });

  it('refuses a non-executable file', () => {
    assert.match(reasonOf(byName('noexec')?.verdict), /not executable .*chmod 755/);
  });

  it('refuses a world-writable file', () => {
    assert.match(reasonOf(byName('worldwritable')?.verdict), /writable by every user .*chmod o-w/);
  });

  it('refuses a pinned file whose sha256 differs, naming both hashes', () => {
    const reason = reasonOf(byName('pinned')?.verdict);
    assert.ok(reason.includes(pinnedSha), reason);
    assert.ok(reason.includes(WRONG_PIN), reason);
  });

  it('accepts a pinned file whose sha256 matches (prefix and case do not matter)', () => {
    assert.deepEqual(byName('pinned-ok')?.verdict, { ok: true });
  });

  it('accepts a symlink to a good executable, naming the target', () => {
    assert.deepEqual(byName('link')?.verdict, { ok: true, target: join(outside, 'target') });
  });

  it('refuses a symlink to a non-executable file and a dangling symlink', () => {
    assert.match(reasonOf(byName('link-noexec')?.verdict), /is a symlink to .*target-noexec: .*not executable/);
    assert.match(reasonOf(byName('dangling')?.verdict), /is a symlink to .*missing, which does not exist/);
  });

  it('refuses a file owned by another non-root user', async () => {
    const verdict = myUid === 0 ? byName('foreign')?.verdict : await inspectPlugin(join(dir, 'foreign'), { uid: daemonUid });
    assert.match(reasonOf(verdict), /owned by uid \d+, not by root.*chown root/);
  });

  it('refuses an unusable pin instead of throwing', async () => {
    assert.match(reasonOf(await inspectPlugin(join(dir, 'good'), { uid: myUid, sha256Pin: 'nope' })), /pin .* is unusable/);
  });

  it('refuses a file that is gone instead of throwing', async () => {
    assert.match(reasonOf(await inspectPlugin(join(dir, 'never-there'), { uid: myUid })), /does not exist/);
  });

  it('refuses everything in a world-writable directory, sticky or not', async () => {
    const open = join(base, 'open');
    await mkdir(open);
    await writeFile(join(open, 'p'), SCRIPT);
    await chmod(join(open, 'p'), 0o755);
    await chmod(open, 0o1777);
    const [entry] = await scanPluginDir(open, { uid: myUid });
    assert.match(reasonOf(entry?.verdict), /open is writable by every user \(mode 1777\).*sticky bit does not help/);
  });

  it('refuses an empty file and a script without #!, which execvp would hand to /bin/sh', async () => {
    const sub = join(base, 'formats');
    await mkdir(sub, { mode: 0o755 });
    await writeFile(join(sub, 'empty'), '');
    await writeFile(join(sub, 'no-shebang'), 'echo ran as a shell script\n');
    await copyFile('/bin/true', join(sub, 'elf'));
    for (const name of ['empty', 'no-shebang', 'elf']) await chmod(join(sub, name), 0o755);
    const found = await scanPluginDir(sub, { uid: myUid });
    const verdict = (name: string) => found.find((e) => e.name === name)?.verdict;
    assert.match(reasonOf(verdict('empty')), /empty is not a script with #! or an ELF binary \(it is empty\)/);
    assert.match(reasonOf(verdict('no-shebang')), /no-shebang is not a script with #! or an ELF binary \(it starts with "echo"\)/);
    assert.deepEqual(verdict('elf'), { ok: true });
  });

  it('refuses a FIFO at once instead of hanging on it', async () => {
    const sub = join(base, 'fifo');
    await mkdir(sub, { mode: 0o755 });
    execFileSync('mkfifo', ['-m', '755', join(sub, 'pipe')]);
    const [entry] = await scanPluginDir(sub, { uid: myUid });
    assert.match(reasonOf(entry?.verdict), /pipe is not a regular file/);
  });

  it('checks the directories above a symlink target, not only the first', async () => {
    const top = join(base, 'vendor');
    await mkdir(join(top, 'bin'), { recursive: true, mode: 0o755 });
    await chmod(join(top, 'bin'), 0o755);
    await writeFile(join(top, 'bin', 'tool'), SCRIPT);
    await chmod(join(top, 'bin', 'tool'), 0o755);
    await chmod(top, 0o757);
    const sub = join(base, 'linked');
    await mkdir(sub, { mode: 0o755 });
    await symlink(join(top, 'bin', 'tool'), join(sub, 'tool'));
    const [entry] = await scanPluginDir(sub, { uid: myUid });
    assert.equal(reasonOf(entry?.verdict), `${join(sub, 'tool')} is a symlink to ${join(top, 'bin', 'tool')}: ${top} is writable by every user (mode 0757), so anyone could replace what is in it; chmod o-w ${top}, or use another directory`);
    await chmod(top, 0o755);
    assert.deepEqual(await inspectPlugin(join(sub, 'tool'), { uid: myUid }), { ok: true, target: join(top, 'bin', 'tool') });
  });

  it('follows links inside a target path, checking each link and the directories they lead to', async () => {
    const real = join(base, 'real');
    await mkdir(real, { mode: 0o755 });
    await writeFile(join(real, 'p'), SCRIPT);
    await chmod(join(real, 'p'), 0o755);
    await symlink('real', join(base, 'alias')); // a relative link to a directory
    const sub = join(base, 'chain');
    await mkdir(sub, { mode: 0o755 });
    await symlink(join(base, 'alias', 'p'), join(sub, 'p'));
    assert.deepEqual(await inspectPlugin(join(sub, 'p'), { uid: myUid }), { ok: true, target: join(real, 'p') });
    await chmod(real, 0o777);
    assert.match(reasonOf(await inspectPlugin(join(sub, 'p'), { uid: myUid })), new RegExp(`${real} is writable by every user`));
    await chmod(real, 0o755);
  });

  it('refuses a group-writable file and a link owned by another user (as root)', { skip: myUid !== 0 ? 'needs root to chown' : false }, async () => {
    const sub = join(base, 'owners');
    await mkdir(sub, { mode: 0o755 });
    await writeFile(join(sub, 'staff'), SCRIPT);
    await chown(join(sub, 'staff'), 0, 4242);
    await chmod(join(sub, 'staff'), 0o775);
    await writeFile(join(sub, 'rootgroup'), SCRIPT);
    await chmod(join(sub, 'rootgroup'), 0o775);
    await symlink(join(outside, 'target'), join(sub, 'planted'));
    await lchown(join(sub, 'planted'), 4242, 4242);
    const found = await scanPluginDir(sub, { uid: 0 });
    const verdict = (name: string) => found.find((e) => e.name === name)?.verdict;
    assert.match(reasonOf(verdict('staff')), /staff is writable by its group \(gid 4242, mode 0775\)/);
    assert.deepEqual(verdict('rootgroup'), { ok: true });
    assert.match(reasonOf(verdict('planted')), /planted is a symlink owned by uid 4242, not by root, so that user could point it at another program; chown -h root/);
  });

  it('rejects a missing directory with a PluginDirError that says what to do', async () => {
    const missing = join(base, 'nope');
    await assert.rejects(scanPluginDir(missing, { uid: myUid }), (error: unknown) => {
      assert.ok(error instanceof PluginDirError);
      assert.equal(error.code, 'PLUGINS_DIR_MISSING');
      assert.equal(error.message, `plugins directory ${missing} does not exist; create it (mkdir -p ${missing} && chmod 755 ${missing}) or pass --plugins-dir`);
      return true;
    });
  });

  it('rejects a path that is a file, not a directory', async () => {
    await assert.rejects(scanPluginDir(join(dir, 'good'), { uid: myUid }), { name: 'PluginDirError', code: 'PLUGINS_DIR_NOT_A_DIRECTORY' });
  });
});
