// The daemon keeps each plugin in its own cgroup, for real on this machine's
// cgroup2 mount: a plugin that forks a setsid() child and a child that ignores
// SIGTERM leaves nothing behind after unload, restart, a crash, daemon
// SIGTERM, and daemon SIGKILL followed by a new daemon. `status` says which
// containment is in use; memory per plugin is in `plugins list --json` and in
// /metrics. Skips (fails under CI) where no cgroup2 is writable; the
// process-group fallback is tested everywhere.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { DaemonStatus, PluginStatus } from '../../src/daemon/types.js';
import { cgroupOf, cgroupSkip, childCgroups, daemonHome } from '../helpers/cgroups.js';
import { DaemonDir, FAST_CONFIG, httpRequest, mergeConfig } from '../helpers/daemon.js';
import type { DaemonProcess } from '../helpers/daemon.js';
import { assertPidGone, pidAlive } from '../helpers/leftovers.js';
import { LOCAL_PLUGIN, tsFixture } from '../helpers/paths.js';

const skip = await cgroupSkip();

interface Children {
  readonly escaped: number;
  readonly child: number;
}

/** A daemon with the `escaper` plugin (tsFixture escapes) writing its children's pids to a file. */
async function withEscaper(dir: DaemonDir, extra: unknown = {}): Promise<{ daemon: DaemonProcess; pidFile: string; config: unknown }> {
  const pidFile = join(dir.root, 'children.pids');
  await dir.addNodeWrapper('escaper', tsFixture('escapes'));
  const config = mergeConfig(mergeConfig(FAST_CONFIG, { plugins: { escaper: { env: { FIXTURE_CHILD_PID_FILE: pidFile } } } }), extra);
  const daemon = await dir.start({ config });
  return { daemon, pidFile, config };
}

/** The children of the escaper process `pid` (the file is rewritten by every start). */
async function childrenOf(pidFile: string, pid: number): Promise<Children> {
  for (let i = 0; i < 500; i++) {
    const [escaped, child] = (await readFile(pidFile, 'utf8').catch(() => '')).trim().split('\n').map(Number);
    // Children of this process: forked after it, so the file is at least as new as its start.
    if (escaped !== undefined && child !== undefined && escaped > 1 && child > 1 && pidAlive(escaped) && cgroupOf(escaped) === cgroupOf(pid)) {
      return { escaped, child };
    }
    await delay(10);
  }
  assert.fail(`no children of ${pid} in ${pidFile}`);
}

async function assertChildrenGone(children: Children): Promise<void> {
  await assertPidGone(children.escaped);
  await assertPidGone(children.child);
}

async function status(daemon: DaemonProcess): Promise<DaemonStatus> {
  return JSON.parse((await httpRequest(daemon.socket, 'GET', '/v1/status')).body) as DaemonStatus;
}

describe('daemon with cgroup containment', { skip }, () => {
  test('status and the start log say cgroup; the plugin and its children are in snoozebot-plugin-NAME; memory is reported', async (t) => {
    const dir = await DaemonDir.create(t);
    const { daemon, pidFile } = await withEscaper(dir);
    const serving = await daemon.waitServing('escaper');
    const children = await childrenOf(pidFile, serving.pid ?? 0);
    const home = daemonHome(dir.stateDir) ?? '';
    const s = await status(daemon);
    assert.deepEqual(s.containment, { mode: 'cgroup', detail: home, memory: s.containment.memory });
    const cli = await daemon.cli('status');
    assert.match(cli.stdout, new RegExp(`^containment:\\s+cgroup \\(${home.replace(/[/.]/g, '\\$&')}\\)$`, 'm'));
    assert.ok(daemon.logs.some((l) => l.msg === `containment: cgroup (${home}); each plugin in its own cgroup`));
    // The daemon sits in its own leaf, the plugin and both children in the plugin's cgroup.
    assert.ok(cgroupOf(daemon.pid)?.endsWith('/snoozebot-daemon'), cgroupOf(daemon.pid));
    for (const pid of [serving.pid ?? 0, children.escaped, children.child]) assert.ok(cgroupOf(pid)?.endsWith('/snoozebot-plugin-escaper'), `${pid}: ${cgroupOf(pid)}`);
    assert.deepEqual(childCgroups(home), ['snoozebot-daemon', 'snoozebot-plugin-escaper']);

    // Sampled as it starts serving, then every 5 s.
    await daemon.waitForPlugin('escaper', (p) => p.memoryBytes !== null, { what: 'a memory sample' });
    const [listed] = await daemon.listCli();
    assert.ok((listed?.memoryBytes ?? 0) > 10 * 1024 * 1024, `memoryBytes ${listed?.memoryBytes}`);
    const metrics = (await httpRequest(daemon.socket, 'GET', '/metrics')).body;
    assert.match(metrics, /^snoozebot_plugin_memory_bytes\{plugin="escaper"\} \d{7,}$/m);

    const exit = await daemon.stop();
    assert.equal(exit.code, 0, daemon.output());
    await assertChildrenGone(children);
    assert.equal(existsSync(home), false, 'a daemon that stops removes its home');
  });

  test('unload, restart and a crash each leave nothing of the old process behind', async (t) => {
    const dir = await DaemonDir.create(t);
    const { daemon, pidFile } = await withEscaper(dir);
    const first = await daemon.waitServing('escaper');
    const firstChildren = await childrenOf(pidFile, first.pid ?? 0);

    const unloaded = await daemon.cli('plugins', 'unload', 'escaper');
    assert.equal(unloaded.code, 0, unloaded.stderr);
    await assertChildrenGone(firstChildren);
    assert.equal(existsSync(`${daemonHome(dir.stateDir)}/snoozebot-plugin-escaper`), false, 'its cgroup is removed');
    const [gone] = await daemon.list();
    assert.equal(gone?.memoryBytes, null);

    assert.equal((await daemon.cli('plugins', 'load', 'escaper')).code, 0);
    const second = await daemon.waitServing('escaper', { notPid: first.pid });
    const secondChildren = await childrenOf(pidFile, second.pid ?? 0);
    const restarted = await daemon.cli('plugins', 'restart', 'escaper');
    assert.equal(restarted.code, 0, restarted.stderr);
    const third = await daemon.waitServing('escaper', { notPid: second.pid });
    await assertChildrenGone(secondChildren);
    const thirdChildren = await childrenOf(pidFile, third.pid ?? 0);

    process.kill(third.pid ?? 0, 'SIGKILL');
    const fourth = await daemon.waitServing('escaper', { notPid: third.pid });
    await assertChildrenGone(thirdChildren);
    const fourthChildren = await childrenOf(pidFile, fourth.pid ?? 0);
    assert.ok(daemon.logs.some((l) => l.plugin === 'escaper' && l.msg === 'plugin left processes behind; killing its cgroup'));

    assert.equal((await daemon.stop()).code, 0);
    await assertChildrenGone(fourthChildren);
  });

  test('daemon SIGKILL: the children live on, and the next daemon on the same state dir kills them at start', async (t) => {
    const dir = await DaemonDir.create(t);
    const { daemon: first, pidFile, config } = await withEscaper(dir);
    const serving = await first.waitServing('escaper');
    const children = await childrenOf(pidFile, serving.pid ?? 0);
    await first.kill();
    // The premise: nobody cleaned up.
    assert.ok(pidAlive(children.escaped) && pidAlive(children.child), 'the children outlived their daemon');

    const second = await dir.start({ config });
    await assertChildrenGone(children);
    const reaped = await second.waitForLog((l) => l.plugin === 'escaper' && l.msg === 'killed the processes a previous daemon left in a plugin cgroup');
    const pids = reaped.pids as number[];
    assert.ok(pids.includes(children.escaped) && pids.includes(children.child), JSON.stringify(reaped));
    const fresh = await second.waitServing('escaper');
    assert.notEqual(fresh.pid, serving.pid);
    const freshChildren = await childrenOf(pidFile, fresh.pid ?? 0);
    assert.equal((await second.stop()).code, 0);
    await assertChildrenGone(freshChildren);
  });
});

test('"cgroups": false: process groups, said in status and at start', async (t) => {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('local', LOCAL_PLUGIN);
  const daemon = await dir.start({ config: mergeConfig(FAST_CONFIG, { cgroups: false }) });
  const [local] = await daemon.waitFor((ps: PluginStatus[]) => ps.length === 1 && ps[0]?.state === 'serving' && ps[0].memoryBytes !== null);
  const s = await status(daemon);
  assert.deepEqual(s.containment, { mode: 'process-group', detail: 'turned off in the config ("cgroups": false)', memory: 'rss' });
  const line = daemon.logs.find((l) => l.msg.startsWith('containment: process-group'));
  assert.equal(line?.level, 40, 'a warning: children that leave the process group are not contained');
  assert.ok((local?.memoryBytes ?? 0) > 10 * 1024 * 1024, `memory is the RSS of its process tree: ${local?.memoryBytes}`);
  assert.equal(cgroupOf(local?.pid ?? 0), cgroupOf(process.pid), 'no cgroup of its own');
  assert.equal((await daemon.stop()).code, 0);
});
