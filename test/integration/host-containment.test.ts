// PluginProcess in its own cgroup, for real on this machine's cgroup2 mount:
// a plugin that forks a setsid() child and a child that ignores SIGTERM leaves
// nothing behind when it is stopped or when it crashes, and a containment set
// up again finds and empties what a killed daemon left. Skips (fails under CI)
// where no cgroup2 is writable.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { Containment, ENTER_FAILED, wrapInCgroup } from '../../src/host/containment/index.js';
import { PluginProcess } from '../../src/host/plugin-process.js';
import type { ExitInfo } from '../../src/host/plugin-process.js';
import { cgroupOf, cgroupSkip, childCgroups, testContainment } from '../helpers/cgroups.js';
import { assertPidGone, makeSocketParent, pidAlive } from '../helpers/leftovers.js';
import type { SocketParent } from '../helpers/leftovers.js';
import { tsFixture } from '../helpers/paths.js';

const skip = await cgroupSkip();
const quiet = pino({ level: 'silent' });
const FAST_STOP = { controllerMs: 300, termMs: 300 };

async function readPids(file: string): Promise<{ escaped: number; child: number }> {
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const [escaped, child] = text.trim().split('\n').map(Number);
    if (escaped !== undefined && child !== undefined && escaped > 1 && child > 1) return { escaped, child };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Nothing is measured until asked; then the plugin and its children, well over 10 MiB. */
async function memorySampled(plugin: PluginProcess): Promise<void> {
  assert.equal(plugin.memoryBytes(), undefined, 'no sample before anyone asked');
  await plugin.refreshMemory();
  assert.ok((plugin.memoryBytes() ?? 0) > 10 * 1024 * 1024, `memory ${plugin.memoryBytes()}`);
}

describe('plugins in their own cgroup', { skip }, () => {
  let containment: Containment;
  let sockets: SocketParent;
  let scratch = '';

  before(async () => {
    containment = await testContainment();
    assert.equal(containment.status.mode, 'cgroup', containment.describe());
    sockets = await makeSocketParent();
    scratch = await mkdtemp(join(tmpdir(), 'sbt-cg-'));
  });

  after(async () => {
    await containment.close();
    assert.equal(existsSync(containment.status.detail), false, 'the test home is removed');
    await sockets.cleanup();
    await rm(scratch, { recursive: true, force: true });
  });

  async function startEscaper(name: string): Promise<{ plugin: PluginProcess; escaped: number; child: number }> {
    const pidFile = join(scratch, `${name}.pids`);
    const plugin = new PluginProcess({
      path: tsFixture('escapes'),
      name,
      env: { FIXTURE_CHILD_PID_FILE: pidFile },
      containment,
      stopTimeouts: FAST_STOP,
      socketParentDir: sockets.dir,
      logger: quiet,
    });
    await plugin.start();
    const pids = await readPids(pidFile);
    return { plugin, ...pids };
  }

  test('the plugin and both its children (setsid or not) are in snoozebot-plugin-NAME, moved there before exec', async () => {
    const { plugin, escaped, child } = await startEscaper('inside');
    try {
      const expected = `${containment.status.detail}/snoozebot-plugin-inside`;
      assert.equal(plugin.cgroup, expected);
      for (const pid of [plugin.pid ?? 0, escaped, child]) {
        const path = cgroupOf(pid) ?? '(gone)';
        assert.ok(path.endsWith('/snoozebot-plugin-inside') && expected.endsWith(path), `pid ${pid} is in ${path}, not ${expected}`);
      }
      // The one that escaped the process group.
      assert.notEqual((await readFile(`/proc/${escaped}/stat`, 'utf8')).split(') ')[1]?.split(' ')[2], String(plugin.pid));
      await memorySampled(plugin);
    } finally {
      await plugin.stop();
    }
  });

  test('stop() leaves nothing: both children are killed and the cgroup is removed', async () => {
    const { plugin, escaped, child } = await startEscaper('stopped');
    const cgroup = plugin.cgroup ?? '';
    await plugin.stop();
    await assertPidGone(escaped);
    await assertPidGone(child);
    assert.equal(existsSync(cgroup), false, `${cgroup} is removed`);
    assert.equal(plugin.memoryBytes(), undefined);
  });

  test('a crash (kill -9 of the plugin) leaves nothing either', async () => {
    const { plugin, escaped, child } = await startEscaper('crashed');
    const cgroup = plugin.cgroup ?? '';
    const exited = once(plugin, 'exited') as Promise<[ExitInfo]>;
    process.kill(plugin.pid ?? 0, 'SIGKILL');
    const [info] = await exited;
    assert.equal(info.signal, 'SIGKILL');
    await assertPidGone(escaped);
    await assertPidGone(child);
    await plugin.stop();
    assert.equal(existsSync(cgroup), false);
  });

  test('a restart under the same name waits for the old cgroup to be emptied, then gets a fresh one', async () => {
    const first = await startEscaper('again');
    const exited = once(first.plugin, 'exited');
    process.kill(first.plugin.pid ?? 0, 'SIGKILL');
    await exited;
    // Started at once, while the old process's teardown may still be running.
    const second = await startEscaper('again');
    try {
      assert.equal(pidAlive(first.escaped), false, 'the old escaped child is gone before the new process runs');
      assert.equal(cgroupOf(second.escaped), cgroupOf(second.plugin.pid ?? 0));
    } finally {
      await second.plugin.stop();
      await first.plugin.stop();
    }
  });

  test('without containment the setsid child escapes the process group kill (the hole cgroups close)', async () => {
    const pidFile = join(scratch, 'group.pids');
    const plugin = new PluginProcess({
      path: tsFixture('escapes'),
      name: 'group',
      env: { FIXTURE_CHILD_PID_FILE: pidFile },
      stopTimeouts: FAST_STOP,
      socketParentDir: sockets.dir,
      logger: quiet,
    });
    await plugin.start();
    const { escaped, child } = await readPids(pidFile);
    await memorySampled(plugin);
    await plugin.stop();
    await assertPidGone(child);
    assert.equal(pidAlive(escaped), true, 'the setsid child survived its process group');
    process.kill(escaped, 'SIGKILL');
    await assertPidGone(escaped);
  });

  test('a new containment on the same home empties and removes the plugin cgroups a killed daemon left', async () => {
    const homeName = `sbtest-left-${process.pid}`;
    const first = await Containment.setup({ homeName, log: quiet, adoptSelf: false });
    const cgroup = await first.acquire('left');
    // A process put in the cgroup as a plugin would be, never released (its daemon "died").
    const sleeper = spawn('/bin/sh', ['-c', 'echo $$ > "$1"; exec sleep 600', 'sh', cgroup.procsFile], { stdio: 'ignore', detached: true });
    const pid = sleeper.pid ?? 0;
    for (let i = 0; i < 200 && cgroupOf(pid)?.endsWith('/snoozebot-plugin-left') !== true; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(cgroupOf(pid)?.endsWith('/snoozebot-plugin-left'));
    // A stray directory that is not a plugin cgroup is left alone.
    await mkdir(join(first.status.detail, 'not-ours'));

    const second = await Containment.setup({ homeName, log: quiet, adoptSelf: false });
    try {
      assert.deepEqual(second.leftovers, [{ cgroup: cgroup.path, pids: [pid] }]);
      await assertPidGone(pid);
      assert.deepEqual(childCgroups(second.status.detail), ['not-ours', 'snoozebot-daemon']);
    } finally {
      await rm(join(first.status.detail, 'not-ours'), { recursive: true });
      await cgroup.release();
      await second.close();
    }
    assert.equal(existsSync(first.status.detail), false);
  });

  test('a containment refuses to share a home whose daemon leaf holds another live process', async () => {
    const homeName = `sbtest-busy-${process.pid}`;
    const first = await Containment.setup({ homeName, log: quiet, adoptSelf: false });
    const leaf = `${first.status.detail}/snoozebot-daemon/cgroup.procs`;
    const other = spawn('/bin/sh', ['-c', 'echo $$ > "$1"; exec sleep 600', 'sh', leaf], { stdio: 'ignore', detached: true });
    try {
      for (let i = 0; i < 200 && cgroupOf(other.pid ?? 0)?.endsWith('/snoozebot-daemon') !== true; i++) await new Promise((r) => setTimeout(r, 10));
      const second = await Containment.setup({ homeName, log: quiet, adoptSelf: false });
      assert.equal(second.status.mode, 'process-group');
      assert.equal(second.describe(), `process-group (another snoozebot daemon (pid ${other.pid}) uses the cgroups under ${first.status.detail})`);
    } finally {
      other.kill('SIGKILL');
      await once(other, 'exit');
      await first.close();
    }
  });

  test('the wrapper runs nothing when it cannot enter the cgroup: exit 125, its reason on stderr', async () => {
    const command = wrapInCgroup(join(scratch, 'no-such-cgroup', 'cgroup.procs'), '/bin/sh', ['-c', 'echo the plugin ran']);
    const result = spawnSync(command.file, command.args, { encoding: 'utf8' });
    assert.equal(result.status, ENTER_FAILED);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^snoozebot-cgroup-enter: /);
  });

  test('the wrapper keeps the pid, the arguments and stdio of what it runs', async () => {
    const cgroup = await containment.acquire('wrapped');
    try {
      const command = wrapInCgroup(cgroup.procsFile, '/bin/sh', ['-c', 'echo "$$|$0|$1"; cat /proc/self/cgroup >&2', 'zero', 'one two']);
      const child = spawn(command.file, command.args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      await once(child, 'close');
      // The pid the host knows is the pid that runs the plugin; arguments arrive as given.
      assert.equal(out, `${child.pid}|zero|one two\n`);
      assert.match(err, /\/snoozebot-plugin-wrapped$/m);
    } finally {
      await cgroup.release();
    }
  });
});
