// The daemon's promises under concurrency, reloads and shutdown (issue 11),
// tried the way operators and scripts do it: a real daemon, real plugins,
// requests in parallel over the API socket.
//
// - Lifecycle requests at once never leave a second process for a plugin,
//   and an unload leaves none.
// - An unload sticks: calls through the plugin are refused with the reason,
//   and it stays unloaded across a daemon restart.
// - From SIGTERM on, changes and calls get SHUTTING_DOWN.
// - A reload that cannot be applied never takes the daemon down.
// - Dry run is the daemon's: no plugin gets StopInstance, whatever it claims
//   to be, and turning it on by SIGHUP applies to the next call.
// - StopInstance is sent at most once when its answer never comes.
// - A plugin that answers UNAVAILABLE is answered at once, not waited on.
// - With two plugins and no provider named, the log and status say so.
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { DaemonStatus, PluginStatus } from '../../src/daemon/types.js';
import { DaemonDir, FAST_CONFIG, httpRequest, mergeConfig } from '../helpers/daemon.js';
import type { DaemonProcess, HttpResult } from '../helpers/daemon.js';
import { liveChildren } from '../helpers/leftovers.js';
import { LOCAL_PLUGIN, tsFixture } from '../helpers/paths.js';

const post = (daemon: DaemonProcess, path: string, body = '{}'): Promise<HttpResult> =>
  httpRequest(daemon.socket, 'POST', path, { body, headers: { 'content-type': 'application/json' }, timeoutMs: 30_000 });

const errorCode = (res: HttpResult): string | undefined => (JSON.parse(res.body) as { error?: { code?: string } }).error?.code;

/** The daemon's live children running `path` (its plugin processes for that file). */
function processesOf(daemon: DaemonProcess, path: string): number[] {
  return liveChildren(daemon.pid)
    .filter((child) => child.cmdline.includes(path))
    .map((child) => child.pid);
}

/** A scripted fixture plugin (test/fixtures/plugins/scripted.ts) named `name`, with its behaviour in the config's env. */
async function addScripted(dir: DaemonDir, name: string): Promise<string> {
  return dir.addNodeWrapper(name, tsFixture('scripted'));
}

async function callLog(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
  } catch {
    return [];
  }
}

describe('one control path per plugin', () => {
  it('restarts, unloads and loads sent at once: never two processes for a plugin, none after the unload', async (t) => {
    const dir = await DaemonDir.create(t);
    const paths = [await dir.addPlugin('a', LOCAL_PLUGIN), await dir.addPlugin('b', LOCAL_PLUGIN)];
    const daemon = await dir.start();
    await daemon.waitFor((ps) => ps.length === 2 && ps.every((p) => p.state === 'serving'), { what: 'both serving' });

    // Watches the daemon's children for the whole test: a plugin with two live processes at any moment is the bug.
    const violations: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const path of paths) {
          const pids = processesOf(daemon, path);
          if (pids.length > 1) violations.push(`${path}: ${pids.length} live processes (${pids.join(', ')})`);
          for (const pid of pids) dir.seenPids.add(pid);
        }
        await delay(25);
      }
    })();

    for (let round = 0; round < 6; round += 1) {
      const requests = ['a', 'b'].flatMap((name) =>
        ['restart', 'restart', 'unload', 'load', 'restart', 'unload'].map((action) => post(daemon, `/v1/plugins/${name}/${action}`)),
      );
      const answers = await Promise.all(requests);
      for (const answer of answers) {
        // Done, or cancelled by a later request (409 OPERATION_CANCELLED): never a 5xx.
        assert.ok(answer.status === 200 || errorCode(answer) === 'OPERATION_CANCELLED', `${answer.status} ${answer.body}`);
      }
      // Whatever ran in between, the last request was an unload.
      const plugins = await daemon.list();
      for (const p of plugins) {
        assert.equal(p.wanted, 'unloaded');
        assert.equal(p.state, 'stopped', `${p.name}: ${p.state} (${p.reason})`);
        assert.equal(p.pid, null);
      }
      for (const path of paths) assert.deepEqual(processesOf(daemon, path), [], `no process of ${path} after the unload`);
    }
    watching = false;
    await watcher;
    assert.deepEqual(violations, []);
  });

  it('an unload sticks: calls are refused with when and how to undo it, also after a daemon restart', async (t) => {
    const dir = await DaemonDir.create(t);
    await dir.addPlugin('local', LOCAL_PLUGIN);
    let daemon = await dir.start();
    await daemon.waitServing('local');
    const unloaded = await daemon.cliJson<PluginStatus>('plugins', 'unload', 'local');
    assert.equal(unloaded.wanted, 'unloaded');
    assert.equal(unloaded.wantedBy, 'operator');
    assert.equal(unloaded.state, 'stopped');

    const info = await daemon.cli('instance', 'info');
    assert.equal(info.code, 1);
    assert.match(info.stderr, /plugin local was unloaded by the operator at \d{4}-\d\d-\d\dT.*`snoozebot plugins load local`/);
    const raw = await httpRequest(daemon.socket, 'GET', '/v1/instance');
    assert.equal(raw.status, 503);
    assert.equal(errorCode(raw), 'PLUGIN_NOT_SERVING');
    const status = await daemon.cliJson<DaemonStatus>('status');
    assert.match(status.idle.providerProblem ?? '', /plugin local is unloaded by the operator/);
    assert.equal((await daemon.list())[0]?.state, 'stopped', 'the call did not start it');

    // A new daemon on the same state directory keeps the operator's word.
    await daemon.stop();
    daemon = await dir.start();
    await delay(300);
    const after = (await daemon.list())[0];
    assert.equal(after?.wanted, 'unloaded');
    assert.equal(after?.state, 'discovered', 'never started');
    assert.deepEqual(processesOf(daemon, dir.pluginPath('local')), []);
    await daemon.cliJson('plugins', 'load', 'local');
    const again = await daemon.cliJson<{ id: string; region: string }>('instance', 'info');
    assert.equal(again.region, 'local');
  });

  it('a plugin that starts lazily is started by the first call and then stays', async (t) => {
    const dir = await DaemonDir.create(t);
    await dir.addPlugin('local', LOCAL_PLUGIN);
    const daemon = await dir.start({ config: mergeConfig(FAST_CONFIG, { plugins: { local: { start: 'lazy' } } }) });
    await delay(300);
    const before = (await daemon.list())[0];
    assert.equal(before?.state, 'discovered');
    assert.equal(before?.start, 'lazy');
    assert.equal(before?.pid, null);
    const info = await daemon.cliJson<{ region: string }>('instance', 'info');
    assert.equal(info.region, 'local');
    const after = await daemon.waitServing('local');
    assert.equal(after.reason, 'needed by a request');
  });

  it('from SIGTERM on, changes and plugin calls get SHUTTING_DOWN, and nothing starts again', async (t) => {
    const dir = await DaemonDir.create(t);
    // Slow to stop (it ignores SIGTERM): the daemon's shutdown takes long enough to send requests into it.
    await dir.addNodeWrapper('slow', tsFixture('ignores-sigterm'));
    await dir.addPlugin('local', LOCAL_PLUGIN);
    const daemon = await dir.start({ config: mergeConfig(FAST_CONFIG, { defaults: { stop: { controllerMs: 1_500, termMs: 1_500 } } }) });
    await daemon.waitFor((ps) => ps.length === 2 && ps.every((p) => p.state === 'serving'), { what: 'both serving' });
    daemon.child.kill('SIGTERM');
    await daemon.waitForLog((l) => l.msg === 'snoozebot daemon stopping');
    const [info, load, restart, status] = await Promise.all([
      httpRequest(daemon.socket, 'GET', '/v1/instance?plugin=local'),
      post(daemon, '/v1/plugins/local/load'),
      post(daemon, '/v1/plugins/slow/restart'),
      httpRequest(daemon.socket, 'GET', '/v1/status'),
    ]);
    for (const res of [info, load, restart]) {
      assert.equal(res.status, 503, res.body);
      assert.equal(errorCode(res), 'SHUTTING_DOWN');
    }
    assert.equal(status.status, 200, 'reading goes on');
    assert.equal((JSON.parse(status.body) as DaemonStatus).shuttingDown, true);
    const exit = await daemon.exited;
    assert.equal(exit.code, 0);
    const stopping = daemon.logs.findIndex((l) => l.msg === 'snoozebot daemon stopping');
    assert.deepEqual(daemon.logs.slice(stopping).filter((l) => l.to === 'starting'), [], 'nothing started after SIGTERM');
  });

  it('a reload that cannot be applied keeps the daemon and its settings: a missing plugins directory, a socket change', async (t) => {
    const dir = await DaemonDir.create(t);
    await dir.addPlugin('local', LOCAL_PLUGIN);
    const daemon = await dir.start({ pathsInConfig: true });
    await daemon.waitServing('local');

    await rm(dir.pluginsDir, { recursive: true, force: true });
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog((l) => /could not read the plugins directory/.test(l.msg), { what: 'the failed rescan' });
    await daemon.waitForLog((l) => l.msg === 'configuration reloaded', { what: 'the reload' });
    // Its file is gone with the directory: stopped and forgotten, and the reload did not start it again.
    await daemon.waitFor((ps) => ps.length === 0, { what: 'no plugins' });
    assert.equal(daemon.exitInfo, undefined, `the daemon is still running\n${daemon.output()}`);
    assert.equal((await httpRequest(daemon.socket, 'GET', '/healthz')).status, 200);
    assert.deepEqual(daemon.transitions('local').filter((tr) => tr.to === 'starting').length, 1, 'started once, at boot');

    await writeFile(dir.configPath, JSON.stringify(mergeConfig(FAST_CONFIG, { ...dir.paths, socket: join(dir.root, 'other.sock') })));
    daemon.child.kill('SIGHUP');
    const refused = await daemon.waitForLog((l) => /^configuration not reloaded: socket .* cannot change while the daemon runs \(it needs a restart/.test(l.msg), {
      what: 'the refused reload',
    });
    assert.equal(refused.level, 50);
    const status = await daemon.cliJson<DaemonStatus>('status');
    assert.equal(status.socket, dir.socket, 'the status shows the socket in use, not the refused one');
    assert.equal(daemon.stderr.includes('Uncaught'), false);
  });

  it('dry run: no plugin is sent StopInstance, even one that calls itself "local"; a reload turns it on for the next call', async (t) => {
    const dir = await DaemonDir.create(t);
    const log = join(dir.root, 'calls.log');
    await addScripted(dir, 'impostor');
    const config = (dryRun: boolean) =>
      mergeConfig(FAST_CONFIG, { dryRun, plugins: { impostor: { env: { FIXTURE_PROVIDER_NAME: 'local', FIXTURE_CALL_LOG: log } } } });
    const daemon = await dir.start({ config: config(true), dryRun: false });
    await daemon.waitServing('impostor');
    assert.equal((await daemon.list())[0]?.provider?.name, 'local');

    const dry = await daemon.cliJson<{ dryRun: boolean; message: string }>('instance', 'stop', '--yes');
    assert.equal(dry.dryRun, true);
    assert.match(dry.message, /^dry run: would stop the instance through plugin impostor; nothing was sent to it/);
    assert.deepEqual(await callLog(log), []);

    // Off by SIGHUP: the next stop goes out, once.
    await writeFile(dir.configPath, JSON.stringify(config(false)));
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog((l) => l.msg === 'dry run off: applies to the next stop or start');
    const real = await daemon.cliJson<{ dryRun: boolean }>('instance', 'stop', '--yes');
    assert.equal(real.dryRun, false);
    assert.equal((await callLog(log)).length, 1);

    // On again by SIGHUP, without restarting the plugin: applies to the very next call.
    const pid = (await daemon.list())[0]?.pid;
    await writeFile(dir.configPath, JSON.stringify(config(true)));
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog((l) => l.msg === 'dry run on: applies to the next stop or start');
    const again = await daemon.cliJson<{ dryRun: boolean }>('instance', 'start', '--yes');
    assert.equal(again.dryRun, true);
    assert.equal((await daemon.list())[0]?.pid, pid, 'the same process');
    assert.deepEqual(await callLog(log), [(await callLog(log))[0]], 'nothing more reached the plugin');
  });

  for (const [mode, why] of [
    ['hang', 'its answer never comes (DEADLINE_EXCEEDED)'],
    ['exit', 'the plugin dies during the call'],
  ] as const) {
    it(`StopInstance is sent once when ${why}: the outcome is unknown, and the idle monitor does not repeat it`, async (t) => {
      const dir = await DaemonDir.create(t);
      const log = join(dir.root, 'calls.log');
      await addScripted(dir, 'cloud');
      const idle = {
        napTimeMs: 1_000,
        checkIntervalMs: 200,
        graceMs: 0,
        cancelWindowMs: 0,
        stopAttempts: 5,
        thresholds: { cpuPercent: null, load1: null, networkBytesPerSecond: null, diskBytesPerSecond: null, sessions: null, gpuPercent: null },
      };
      const daemon = await dir.start({
        config: mergeConfig(FAST_CONFIG, { idle, plugins: { cloud: { callTimeoutMs: 1_000, env: { FIXTURE_STOP: mode, FIXTURE_CALL_LOG: log } } } }),
        dryRun: false,
      });
      await daemon.waitServing('cloud');
      const status = async () => (JSON.parse((await httpRequest(daemon.socket, 'GET', '/v1/status')).body) as DaemonStatus).idle;
      const deadline = Date.now() + 20_000;
      let idleStatus = await status();
      while (idleStatus.lastStop === null && Date.now() < deadline) {
        await delay(100);
        idleStatus = await status();
      }
      assert.equal(idleStatus.lastStop?.outcome, 'unknown', JSON.stringify(idleStatus.lastStop));
      assert.match(idleStatus.lastStop?.message ?? '', /^unknown: StopInstance was sent to plugin cloud and no answer came back/);
      assert.equal(idleStatus.lastStop?.attempts, 1);
      // Longer than the retries would have taken (1 + 2 + 4 + 8 s is more than this, but the first retry comes at 1 s).
      await delay(1_500);
      assert.equal((await callLog(log)).length, 1, 'one StopInstance for the decision');

      if (mode === 'hang') {
        const byHand = await daemon.cli('instance', 'stop', '--yes');
        assert.equal(byHand.code, 1);
        assert.match(byHand.stderr, /unknown: StopInstance was sent to plugin cloud and no answer came back \(DEADLINE_EXCEEDED\).*check `snoozebot instance info --plugin cloud`/is);
        assert.equal((await callLog(log)).length, 2, 'the operator asked once, it went out once');
      }
    });
  }

  it('a plugin answering UNAVAILABLE is a failed call answered at once, not a dead process', async (t) => {
    const dir = await DaemonDir.create(t);
    await addScripted(dir, 'cloud');
    const daemon = await dir.start({ config: mergeConfig(FAST_CONFIG, { plugins: { cloud: { env: { FIXTURE_INFO: 'unavailable' } } } }) });
    const serving = await daemon.waitServing('cloud');
    for (let i = 0; i < 12; i += 1) {
      const res = await httpRequest(daemon.socket, 'GET', '/v1/instance');
      assert.equal(res.status, 502);
      assert.match(res.body, /UNAVAILABLE: EC2 unreachable/);
    }
    const after = (await daemon.list())[0];
    assert.equal(after?.pid, serving.pid);
    assert.equal(after?.restarts, 0);
    assert.equal(daemon.logs.some((l) => /died during the call/.test(l.msg)), false);
    assert.doesNotMatch(daemon.stderr, /MaxListenersExceededWarning/);
  });

  it('two plugins and no provider named: a warning at start, and status says which setting to add', async (t) => {
    const dir = await DaemonDir.create(t);
    await dir.addPlugin('aws', LOCAL_PLUGIN);
    await dir.addPlugin('local', LOCAL_PLUGIN);
    const daemon = await dir.start();
    const warning = await daemon.waitForLog((l) => l.msg.startsWith('idle stops are off: 2 plugins are loaded (aws, local)'));
    assert.equal(warning.level, 40);
    const text = await daemon.cli('status');
    assert.match(text.stdout, /cannot: 2 plugins are loaded \(aws, local\) and neither "idle.provider" nor "defaultProvider" is set: add e\.g\. "defaultProvider": "aws"/);
    // Unloading one leaves one plugin to go through: said once.
    await daemon.cliJson('plugins', 'unload', 'aws');
    await daemon.waitForLog((l) => l.msg === 'idle stops have one plugin to go through again');
    const status = await daemon.cliJson<DaemonStatus>('status');
    assert.equal(status.idle.provider, 'local');
    assert.equal(status.idle.providerProblem, null);
  });
});
