// The daemon's own life: a clean SIGTERM with several plugins, a SIGTERM
// while it is still starting, a SIGKILL and the next daemon cleaning up after
// it, and a Go go-plugin plugin supervised like a TypeScript one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readFileSync, readdirSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DaemonStatus, InstanceRecord, PluginStatus } from '../../src/daemon/types.js';
import { setTimeout as delay } from 'node:timers/promises';
import { DaemonDir, DaemonProcess, POLL_MS, httpRequest } from '../helpers/daemon.js';
import { goRequired } from '../helpers/go.js';
import { assertGroupGone, assertPidGone, pidAlive } from '../helpers/leftovers.js';
import { LOCAL_PLUGIN, tsFixture } from '../helpers/paths.js';
import { buildGoInterop } from '../interop/go-build.js';

async function waitForFile(path: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) assert.fail(`${path} did not appear within ${timeoutMs} ms`);
    await delay(POLL_MS);
  }
}

const pidOf = (p: PluginStatus | undefined): number => {
  assert.ok(p !== undefined && p.pid !== null, `no pid: ${JSON.stringify(p)}`);
  return p.pid;
};

test('SIGTERM with 5 plugins: exit 0, every plugin process gone, socket and socket dirs removed', async (t) => {
  const dir = await DaemonDir.create(t);
  const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
  for (const name of names) await dir.addPlugin(name, LOCAL_PLUGIN);
  const daemon = await dir.start();
  const list = await daemon.waitFor((ps) => ps.length === 5 && ps.every((p) => p.state === 'serving'), { what: 'all 5 serving' });
  assert.deepEqual(list.map((p) => p.name), names);
  const pids = list.map(pidOf);
  assert.equal(new Set(pids).size, 5);
  assert.ok(existsSync(dir.socket));
  assert.equal((await readdir(dir.tmpDir)).length, 5, 'one socket directory per plugin');

  const exit = await daemon.stop();
  assert.deepEqual(exit, { code: 0, signal: null }, daemon.output());
  for (const pid of pids) {
    await assertPidGone(pid);
    await assertGroupGone(pid);
  }
  assert.equal(existsSync(dir.socket), false, 'the API socket is still there');
  assert.deepEqual(await readdir(dir.tmpDir), [], 'plugin socket directories left behind');
  const records = join(dir.stateDir, 'plugins');
  if (existsSync(records)) assert.deepEqual(await readdir(records), [], 'process records left in the state directory');

  // Each plugin's stop is logged with the reason.
  for (const name of names) {
    const last = daemon.transitions(name).at(-1);
    assert.deepEqual(last, { from: 'stopping', to: 'stopped', reason: 'received SIGTERM' }, name);
  }
  assert.ok(daemon.logs.some((l) => l.msg === 'snoozebot daemon stopped'), daemon.output());
  assert.deepEqual(daemon.strayStdout, []);
});

/** Processes running `path` (a plugin binary), by their command lines. */
function processesRunning(path: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').includes(path)) pids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return pids.filter(pidAlive);
}

/** Opens the FIFO's writing end once a reader holds it open (until then, ENXIO). */
async function writerOnceRead(fifo: string, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
    }
    if (Date.now() > deadline) assert.fail(`nothing opened ${fifo} for reading within ${timeoutMs} ms`);
    await delay(POLL_MS);
  }
}

// The API answers and the plugins start before the daemon's start is done. The idle monitor starts last and
// reads /proc/stat: here a FIFO, so the start waits, deterministically, until the test writes to it.
test('SIGTERM while the daemon is still starting: it stops once the start is done, exit 0, no plugin left', async (t) => {
  const dir = await DaemonDir.create(t);
  const plugin = await dir.addPlugin('local', LOCAL_PLUGIN);
  const root = await mkdtemp(join(tmpdir(), 'sbd-idle-root-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'proc'));
  const stat = join(root, 'proc/stat');
  execFileSync('mkfifo', [stat]);
  const args = ['daemon', '--log-level', 'debug', '--plugins-dir', dir.pluginsDir, '--socket', dir.socket, '--state-dir', dir.stateDir, '--dry-run'];
  const daemon = new DaemonProcess(dir, args, { SNOOZEBOT_IDLE_ROOT: root });
  dir.daemons.push(daemon);

  const procStat = 'cpu  100 0 100 10000 0 0 0 0 0 0\nbtime 1795430000\n';
  const writer = await writerOnceRead(stat);
  try {
    assert.ok(existsSync(dir.socket), 'the API listens before the idle monitor starts');
    assert.ok(daemon.child.kill('SIGTERM'), 'SIGTERM sent');
    // The rest of the start, and anything after it, reads a plain file.
    writeFileSync(`${stat}.plain`, procStat);
    renameSync(`${stat}.plain`, stat);
  } finally {
    // Whatever failed above, the daemon is not left blocked on the FIFO.
    writeSync(writer, procStat);
    closeSync(writer);
  }

  const exit = await daemon.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, daemon.output());
  // Node's default action for SIGTERM would have ended it at once (exit by signal), the plugin just spawned.
  assert.ok(daemon.logs.some((l) => l.msg === 'snoozebot daemon stopped'), daemon.output());
  assert.deepEqual(processesRunning(plugin), [], 'plugin processes left behind');
});

test('SIGKILLed daemon: the next one on the same state dir kills what was left and serves fresh plugins', async (t) => {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('local', LOCAL_PLUGIN);
  // Ignores Shutdown, SIGTERM and the end of its stdin: it would outlive its daemon forever.
  await dir.addNodeWrapper('stubborn', tsFixture('ignores-sigterm'));
  const first = await dir.start();
  const list = await first.waitFor((ps) => ps.length === 2 && ps.every((p) => p.state === 'serving'), { what: 'both serving' });
  const oldLocal = pidOf(list.find((p) => p.name === 'local'));
  const oldStubborn = pidOf(list.find((p) => p.name === 'stubborn'));
  // Recorded in the background once it serves: wait for the record the next daemon relies on.
  await waitForFile(join(dir.stateDir, 'plugins', 'stubborn.json'));

  const killed = await first.kill();
  assert.equal(killed.signal, 'SIGKILL');
  // The premise: the daemon could not clean up, so this one still runs.
  assert.ok(pidAlive(oldStubborn), 'the stubborn plugin did not outlive its daemon');
  assert.ok(existsSync(dir.socket), 'a SIGKILLed daemon cannot remove its socket');

  const second = await dir.start();
  await assertPidGone(oldStubborn);
  await assertGroupGone(oldStubborn);
  // The local plugin notices its host is gone by itself, or is killed with the rest.
  await assertPidGone(oldLocal);
  const status = JSON.parse((await httpRequest(second.socket, 'GET', '/v1/status')).body) as DaemonStatus;
  if (status.containment.mode === 'cgroup') {
    // Its cgroup is emptied first, whatever its processes did (setsid, new groups).
    const reaped = await second.waitForLog((l) => l.plugin === 'stubborn' && l.msg === 'killed the processes a previous daemon left in a plugin cgroup', {
      what: '"killed the processes a previous daemon left" for stubborn',
    });
    assert.ok((reaped.pids as number[]).includes(oldStubborn), JSON.stringify(reaped));
  } else {
    const reaped = await second.waitForLog((l) => l.plugin === 'stubborn' && /left (running )?by a previous daemon/.test(l.msg), {
      what: '"left by a previous daemon" for stubborn',
    });
    assert.equal(reaped.pluginPid, oldStubborn);
    assert.ok(second.logs.some((l) => /killed plugin processes left by a previous daemon/.test(l.msg)));
  }

  const fresh = await second.waitFor((ps) => ps.length === 2 && ps.every((p) => p.state === 'serving'), { what: 'both serving again' });
  for (const p of fresh) {
    assert.ok(p.pid !== null && p.pid !== oldLocal && p.pid !== oldStubborn, `${p.name}: pid ${p.pid}`);
    assert.equal(p.restarts, 0);
  }
  const info = await second.cliJson<InstanceRecord>('instance', 'info', '--plugin', 'local');
  assert.equal(info.region, 'local');
});

test('a Go go-plugin plugin is supervised like a TypeScript one', async (t) => {
  const build = await buildGoInterop();
  if (!goRequired(t, build)) return;
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('goplugin', build.plugin);
  const daemon = await dir.start();

  const first = await daemon.waitServing('goplugin');
  assert.deepEqual(first.provider, { name: 'go-fixture', version: '1.0.0' });
  assert.equal(first.restarts, 0);
  const firstPid = pidOf(first);

  const info = await daemon.cliJson<InstanceRecord>('instance', 'info', '--plugin', 'goplugin');
  assert.deepEqual(Object.keys(info).sort(), ['id', 'launchTime', 'name', 'region', 'state', 'type', 'zone']);
  assert.ok(info.id !== '', 'empty instance id');

  process.kill(firstPid, 'SIGKILL');
  const again = await daemon.waitServing('goplugin', { notPid: firstPid });
  assert.equal(again.restarts, 1);
  assert.match(again.lastError ?? '', /SIGKILL/);
  assert.deepEqual(again.provider, { name: 'go-fixture', version: '1.0.0' });
  await assertPidGone(firstPid);
  await assertGroupGone(firstPid);

  const after = await daemon.cliJson<InstanceRecord>('instance', 'info', '--plugin', 'goplugin');
  assert.deepEqual(after, info);

  const exit = await daemon.stop();
  assert.deepEqual(exit, { code: 0, signal: null }, daemon.output());
  await assertPidGone(pidOf(again));
  await assertGroupGone(pidOf(again));
  assert.deepEqual(daemon.transitions('goplugin').at(-1), { from: 'stopping', to: 'stopped', reason: 'received SIGTERM' });
});
