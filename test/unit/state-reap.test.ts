import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateStore, reapLeftovers } from '../../src/daemon/state/index.js';
import type { NewPluginProcessRecord, ReapLog } from '../../src/daemon/state/index.js';

/** A /proc/<pid>/stat line as Linux writes it: starttime is field 22. */
function statLine(pid: number, comm: string, startTime: number, { ppid = 1, pgrp = pid, state = 'S' } = {}): string {
  const fields = [state, ppid, pgrp, pgrp, 0, -1, 4194560, 120, 0, 0, 0, 1, 2, 0, 0, 20, 0, 1, 0, startTime];
  while (fields.length < 50) fields.push(0);
  return `${pid} (${comm}) ${fields.join(' ')}\n`;
}

interface Logged {
  level: 'info' | 'warn';
  fields: Record<string, unknown>;
  message: string;
}

function recordingLog(): ReapLog & { entries: Logged[] } {
  const entries: Logged[] = [];
  return {
    entries,
    info: (fields, message) => entries.push({ level: 'info', fields: fields as Record<string, unknown>, message }),
    warn: (fields, message) => entries.push({ level: 'warn', fields: fields as Record<string, unknown>, message }),
  };
}

const DEAD_DAEMON = 31337;
/** The daemon running the reap, as far as the fixture tree is concerned. */
const SELF = { pid: 4000, pgid: 4000 };

describe('reapLeftovers with a fixture /proc and a fake kill', () => {
  let base = '';
  let procRoot = '';
  let store: StateStore;
  let kills: Array<[number, string]>;

  const putProc = (pid: number, comm: string, startTime: number, opts: { ppid?: number; pgrp?: number; state?: string } = {}) => {
    mkdirSync(join(procRoot, String(pid)), { recursive: true });
    writeFileSync(join(procRoot, String(pid), 'stat'), statLine(pid, comm, startTime, opts));
  };
  const removeProc = (pid: number) => rmSync(join(procRoot, String(pid)), { recursive: true, force: true });

  /** A kill that "works": every listed pid disappears from the fixture tree. */
  const killing =
    (...pids: number[]) =>
    (pgid: number, signal: NodeJS.Signals) => {
      kills.push([pgid, signal]);
      for (const pid of pids) removeProc(pid);
    };

  const record = (over: Partial<NewPluginProcessRecord> & { name: string; pid: number }) =>
    store.record({ pgid: over.pid, startTime: 1000, path: `/plugins/${over.name}`, daemonPid: DEAD_DAEMON, ...over });

  const names = async () => (await store.list()).records.map((r) => r.name).sort();

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'snoozebot-reap-'));
    procRoot = join(base, 'proc');
    mkdirSync(procRoot);
    store = new StateStore(join(base, 'state'));
    kills = [];
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('kills the process group of a leftover whose start time matches, and forgets it', async () => {
    putProc(500, 'aws', 1000);
    putProc(501, 'aws-helper', 1002, { ppid: 500, pgrp: 500 });
    await record({ name: 'aws', pid: 500 });
    const log = recordingLog();

    const summary = await reapLeftovers(store, { self: SELF, procRoot, kill: killing(500, 501), log });

    assert.deepEqual(kills, [[500, 'SIGKILL']]);
    assert.deepEqual(summary, { killed: [{ name: 'aws', pid: 500, pgid: 500, path: '/plugins/aws' }], skipped: [], failed: [] });
    assert.deepEqual(await names(), []);
    assert.ok(log.entries.some((e) => e.level === 'warn' && e.fields.plugin === 'aws' && /killed/.test(e.message)));
  });

  it('does not kill a pid reused by a process with another start time, and forgets the record', async () => {
    putProc(500, 'postgres', 2000);
    await record({ name: 'aws', pid: 500, startTime: 1000 });
    const log = recordingLog();

    const summary = await reapLeftovers(store, { self: SELF, procRoot, kill: killing(500), log });

    assert.deepEqual(kills, []);
    assert.equal(summary.killed.length, 0);
    assert.equal(summary.skipped.length, 1);
    assert.equal(summary.skipped[0]?.name, 'aws');
    assert.match(summary.skipped[0]?.reason ?? '', /^pid reused: pid 500 is now "postgres", started at tick 2000, not the plugin process started at tick 1000; not killed$/);
    assert.deepEqual(await names(), []);
    assert.ok(log.entries.some((e) => e.fields.plugin === 'aws' && /pid reused/.test(String(e.fields.reason))));
  });

  it('does not kill anything for a pid that is gone, and forgets the record', async () => {
    await record({ name: 'aws', pid: 500 });
    const summary = await reapLeftovers(store, { self: SELF, procRoot, kill: killing(), log: recordingLog() });
    assert.deepEqual(kills, []);
    assert.deepEqual(summary.skipped, [{ name: 'aws', reason: 'process 500 is gone and nothing is left in its process group; nothing to kill' }]);
    assert.deepEqual(await names(), []);
  });

  it('handles several records on their own merits', async () => {
    putProc(500, 'aws', 1000);
    putProc(600, 'bash', 7777);
    await record({ name: 'aws', pid: 500 });
    await record({ name: 'gcp', pid: 600 });
    await record({ name: 'azure', pid: 700 });
    const summary = await reapLeftovers(store, { self: SELF, procRoot, kill: killing(500), log: recordingLog() });
    assert.deepEqual(kills, [[500, 'SIGKILL']]);
    assert.deepEqual(summary.killed.map((k) => k.name), ['aws']);
    assert.deepEqual(summary.skipped.map((s) => s.name).sort(), ['azure', 'gcp']);
  });

  it('reports a group that survives SIGKILL as failed and keeps its record for the next start', async () => {
    putProc(500, 'stuck', 1000, { state: 'D' });
    await record({ name: 'aws', pid: 500 });
    const summary = await reapLeftovers(store, { self: SELF, procRoot, kill: killing(), log: recordingLog(), goneWithinMs: 30 });
    assert.deepEqual(kills, [[500, 'SIGKILL']]);
    assert.deepEqual(summary.killed, []);
    assert.equal(summary.failed.length, 1);
    assert.match(summary.failed[0]?.reason ?? '', /process group 500 still has 500 \(stuck, state D\) after SIGKILL/);
    assert.deepEqual(await names(), ['aws']);
  });

  it('counts a group as alive while a member lives on after its leader', async () => {
    putProc(500, 'aws', 1000);
    putProc(501, 'orphan', 1001, { pgrp: 500 });
    await record({ name: 'aws', pid: 500 });
    const summary = await reapLeftovers(store, { self: SELF, procRoot, kill: killing(500), log: recordingLog(), goneWithinMs: 30 });
    assert.match(summary.failed[0]?.reason ?? '', /still has 501 \(orphan/);
  });

  it('treats a leader left as a zombie as gone', async () => {
    putProc(500, 'aws', 1000);
    await record({ name: 'aws', pid: 500 });
    const summary = await reapLeftovers(store, {
      procRoot,
      kill: (pgid, signal) => {
        kills.push([pgid, signal]);
        putProc(500, 'aws', 1000, { state: 'Z' });
      },
      log: recordingLog(),
    });
    assert.deepEqual(summary.killed.map((k) => k.name), ['aws']);
  });

  it('reports a kill that is refused (EPERM) as failed', async () => {
    putProc(500, 'aws', 1000);
    await record({ name: 'aws', pid: 500 });
    const eperm = () => {
      throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
    };
    const summary = await reapLeftovers(store, { self: SELF, procRoot, kill: eperm, log: recordingLog() });
    assert.match(summary.failed[0]?.reason ?? '', /SIGKILL to process group 500 failed: kill EPERM/);
    assert.deepEqual(await names(), ['aws']);
  });

  it('leaves alone a process still parented to its recording daemon (another daemon is alive)', async () => {
    putProc(500, 'aws', 1000, { ppid: DEAD_DAEMON });
    await record({ name: 'aws', pid: 500 });
    const summary = await reapLeftovers(store, { self: SELF, procRoot, kill: killing(500), log: recordingLog() });
    assert.deepEqual(kills, []);
    assert.match(summary.skipped[0]?.reason ?? '', /still a child of daemon pid 31337/);
    assert.deepEqual(await names(), ['aws']);
  });

  it("leaves alone this daemon's own processes", async () => {
    putProc(500, 'aws', 1000);
    await record({ name: 'aws', pid: 500, daemonPid: SELF.pid });
    const summary = await reapLeftovers(store, { self: SELF, procRoot, kill: killing(500), log: recordingLog() });
    assert.deepEqual(kills, []);
    assert.match(summary.skipped[0]?.reason ?? '', /started by this daemon/);
  });

  it('kills the members left in the group of a leader that is gone (a setsid-less child outliving its plugin)', async () => {
    putProc(501, 'child', 1005, { ppid: 1, pgrp: 500 });
    putProc(502, 'grandchild', 1009, { ppid: 501, pgrp: 500 });
    await record({ name: 'aws', pid: 500 });
    const summary = await reapLeftovers(store, { self: SELF, procRoot, kill: killing(501, 502), log: recordingLog() });
    assert.deepEqual(kills, [[500, 'SIGKILL']]);
    assert.deepEqual(summary.killed.map((k) => k.name), ['aws']);
    assert.deepEqual(await names(), []);
  });

  it('never kills a group named by a decoy record: {pid: DECOY, startTime: DECOY\'s, pgid: VICTIM}', async () => {
    putProc(600, 'decoy', 1000, { pgrp: 600 });
    putProc(700, 'victim', 900, { pgrp: 700 });
    putProc(701, 'victim-child', 1200, { pgrp: 700 });
    await mkdir(store.dir, { recursive: true, mode: 0o700 });
    await writeFile(
      join(store.dir, 'x.json'),
      JSON.stringify({ name: 'x', pid: 600, pgid: 700, startTime: 1000, path: '/p/x', daemonPid: DEAD_DAEMON, recordedAt: new Date().toISOString() }),
    );
    const summary = await reapLeftovers(store, { self: SELF, procRoot, kill: killing(700, 701), log: recordingLog() });
    assert.deepEqual(kills, []);
    assert.match(summary.skipped[0]?.reason ?? '', /corrupt record .*x\.json \("pgid" is 700, not the plugin's own pid 600/);
  });

  it("never kills a group holding a process older than the recorded leader, even with the leader gone", async () => {
    putProc(501, 'old', 900, { pgrp: 500 });
    putProc(502, 'new', 1100, { pgrp: 500 });
    await record({ name: 'aws', pid: 500 });
    const summary = await reapLeftovers(store, { self: SELF, procRoot, kill: killing(501, 502), log: recordingLog() });
    assert.deepEqual(kills, []);
    assert.match(summary.skipped[0]?.reason ?? '', /holds processes older than the plugin process started at tick 1000 \(501 \("old", tick 900\)\), so it is not that plugin's group; not killed/);
  });

  it("never kills the daemon's own process group", async () => {
    putProc(4000, 'snoozebot', 1000);
    await record({ name: 'aws', pid: 4000, daemonPid: DEAD_DAEMON });
    const summary = await reapLeftovers(store, { self: SELF, procRoot, kill: killing(4000), log: recordingLog() });
    assert.deepEqual(kills, []);
    assert.match(summary.skipped[0]?.reason ?? '', /process group 4000 is the daemon's own; never signalled/);
  });

  it('does not kill a leader that left its recorded group', async () => {
    putProc(500, 'aws', 1000, { pgrp: 9 });
    await record({ name: 'aws', pid: 500 });
    const summary = await reapLeftovers(store, { self: SELF, procRoot, kill: killing(500), log: recordingLog() });
    assert.deepEqual(kills, []);
    assert.match(summary.skipped[0]?.reason ?? '', /process 500 does not lead process group 500 \(it is in group 9\)/);
  });

  it('reports and removes a corrupt record without touching any process', async () => {
    putProc(500, 'aws', 1000);
    await record({ name: 'aws', pid: 500 });
    await writeFile(join(store.dir, 'gcp.json'), '{ not json');
    const log = recordingLog();
    const summary = await reapLeftovers(store, { self: SELF, procRoot, kill: killing(500), log });
    assert.deepEqual(summary.killed.map((k) => k.name), ['aws']);
    assert.equal(summary.skipped.length, 1);
    assert.equal(summary.skipped[0]?.name, 'gcp');
    assert.match(summary.skipped[0]?.reason ?? '', /corrupt record .*gcp\.json \(not valid JSON/);
    assert.ok(log.entries.some((e) => e.level === 'warn' && /corrupt/.test(e.message)));
    assert.deepEqual((await store.list()).corrupt, []);
  });
});
