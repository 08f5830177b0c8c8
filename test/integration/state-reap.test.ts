import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateStore, liveGroupMembers, readProcStat, reapLeftovers } from '../../src/daemon/state/index.js';
import type { ReapLog } from '../../src/daemon/state/index.js';

const quiet: ReapLog = { info: () => undefined, warn: () => undefined };

interface Started {
  child: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A process group leader, as the daemon starts plugins (detached: own session and group). */
function startGroup(command: string, args: string[]): Started {
  const child = spawn(command, args, { detached: true, stdio: 'ignore' });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  assert.ok(child.pid !== undefined, `${command} did not start`);
  return { child, pid: child.pid, exited };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('reapLeftovers with real processes', () => {
  let base = '';
  let store: StateStore;
  /** The pid of a process that has exited: a daemon that is gone. */
  let deadDaemonPid = 0;
  const started: Started[] = [];

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'snoozebot-reap-it-'));
    store = new StateStore(join(base, 'state'));
    const gone = spawnSync('true');
    assert.ok(gone.pid !== undefined && gone.pid > 1);
    deadDaemonPid = gone.pid;
  });

  afterEach(async () => {
    for (const s of started.splice(0)) {
      try {
        process.kill(-s.pid, 'SIGKILL');
      } catch {
        // Already gone: the test killed it.
      }
      await within(s.exited, 5_000, `exit of ${s.pid}`);
    }
  });

  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  async function recordReal(name: string, s: Started, startTimeDelta = 0): Promise<number> {
    // `sh -c 'sleep & wait'` may still be exec'ing; the start time is fixed from fork on.
    const stat = await readProcStat(s.pid);
    assert.ok(stat !== undefined, `no /proc entry for ${s.pid}`);
    assert.equal(stat.pgrp, s.pid, 'a detached child leads its own process group');
    await store.record({ name, pid: s.pid, pgid: s.pid, startTime: stat.startTime + startTimeDelta, path: '/bin/sleep', daemonPid: deadDaemonPid });
    return stat.startTime;
  }

  it("kills a leftover's whole process group when pid and start time match", async () => {
    // A plugin that forked a child of its own: the child shares the group.
    const s = startGroup('sh', ['-c', 'sleep 600 & wait']);
    started.push(s);
    await recordReal('aws', s);

    const summary = await reapLeftovers(store, { log: quiet });

    assert.deepEqual(summary.killed, [{ name: 'aws', pid: s.pid, pgid: s.pid, path: '/bin/sleep' }]);
    assert.deepEqual(summary.failed, []);
    const exit = await within(s.exited, 5_000, 'exit of the leftover');
    assert.equal(exit.signal, 'SIGKILL');
    assert.deepEqual(await liveGroupMembers(s.pid), []);
    assert.deepEqual((await store.list()).records, []);
  });

  it('does not kill a process whose start time differs from the record (pid reused)', async () => {
    const s = startGroup('sleep', ['600']);
    started.push(s);
    const realStart = await recordReal('gcp', s, 1);

    const summary = await reapLeftovers(store, { log: quiet });

    assert.deepEqual(summary.killed, []);
    assert.equal(summary.skipped.length, 1);
    assert.match(summary.skipped[0]?.reason ?? '', new RegExp(`^pid reused: pid ${s.pid} is now "sleep", started at tick ${realStart}, not the plugin process started at tick ${realStart + 1}`));
    const stat = await readProcStat(s.pid);
    assert.equal(stat?.startTime, realStart, 'the process is still there');
    assert.notEqual(stat?.state, 'Z');
    assert.equal(s.child.exitCode, null);
    assert.equal(s.child.signalCode, null);
    assert.deepEqual((await store.list()).records, [], 'the stale record is dropped');
  });

  it('kills what is left in the group of a leader that is gone (it used to be "nothing to kill")', async () => {
    // The leader prints its child's pid and exits once its stdin closes: the
    // child stays in the group, re-parented to init.
    const leader = spawn('sh', ['-c', 'sleep 600 >/dev/null 2>&1 & echo $!; read line'], { detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
    assert.ok(leader.pid !== undefined);
    const leaderPid = leader.pid;
    const stat = await readProcStat(leaderPid);
    assert.ok(stat !== undefined);
    let out = '';
    leader.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const closed = new Promise((resolve) => leader.once('close', resolve));
    leader.stdin.end();
    await within(closed, 5_000, 'exit of the leader');
    const childPid = Number(out.trim());
    assert.ok(childPid > 1, `child pid from ${JSON.stringify(out)}`);
    try {
      const child = await readProcStat(childPid);
      assert.equal(child?.pgrp, leaderPid, 'the child is still in the leader\'s group');
      await store.record({ name: 'orphans', pid: leaderPid, pgid: leaderPid, startTime: stat.startTime, path: '/bin/sh', daemonPid: deadDaemonPid });

      const summary = await reapLeftovers(store, { log: quiet });

      assert.deepEqual(summary.killed.map((k) => k.name), ['orphans']);
      assert.deepEqual(await liveGroupMembers(leaderPid), []);
    } finally {
      try {
        process.kill(childPid, 'SIGKILL');
      } catch {
        // killed by the reap
      }
    }
  });
});
