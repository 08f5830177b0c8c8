import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcStatError, liveGroupMembers, parseProcStat, readProcStat } from '../../src/daemon/state/index.js';

interface Line {
  pid: number;
  comm: string;
  state?: string;
  ppid?: number;
  pgrp?: number;
  startTime: number;
}

/** A /proc/<pid>/stat line as Linux writes it: 52 fields, starttime at 22. */
function statLine({ pid, comm, state = 'S', ppid = 1, pgrp = pid, startTime }: Line): string {
  const after = [state, ppid, pgrp, pgrp, 0, -1, 4194560, 120, 0, 0, 0, 1, 2, 0, 0, 20, 0, 1, 0, startTime];
  while (after.length < 50) after.push(0);
  return `${pid} (${comm}) ${after.join(' ')}\n`;
}

describe('parseProcStat', () => {
  it('reads pid, comm, state, ppid, pgrp and the start time (field 22)', () => {
    assert.deepEqual(parseProcStat(statLine({ pid: 4242, comm: 'sleep', state: 'S', ppid: 17, pgrp: 4242, startTime: 987654 })), {
      pid: 4242,
      comm: 'sleep',
      state: 'S',
      ppid: 17,
      pgrp: 4242,
      startTime: 987654,
    });
  });

  it('keeps a comm holding spaces and parentheses whole, splitting at the last ")"', () => {
    for (const comm of ['(my) proc)', 'my proc', ') S 1 2 3 ', '((', 'a)b)c', 'x\ny', '']) {
      const stat = parseProcStat(statLine({ pid: 77, comm, ppid: 5, pgrp: 6, startTime: 123 }));
      assert.equal(stat.comm, comm, JSON.stringify(comm));
      assert.equal(stat.ppid, 5, JSON.stringify(comm));
      assert.equal(stat.pgrp, 6, JSON.stringify(comm));
      assert.equal(stat.startTime, 123, JSON.stringify(comm));
    }
  });

  it('parses the real /proc/self/stat', async () => {
    const stat = parseProcStat(await readFile('/proc/self/stat', 'utf8'));
    assert.equal(stat.pid, process.pid);
    assert.equal(stat.ppid, process.ppid);
    // Read by a libuv worker thread: the main thread may be running or asleep.
    assert.match(stat.state, /^[RS]$/);
    assert.ok(stat.startTime > 0);
  });

  it('throws ProcStatError on anything that is not a stat line', () => {
    const truncated = statLine({ pid: 1, comm: 'x', startTime: 5 }).split(' ').slice(0, 12).join(' ');
    for (const text of ['', 'garbage', '12 (comm', 'x (comm) S 1 1', '12 (comm) 1 1 1', truncated, '12 (comm) S one 1']) {
      assert.throws(() => parseProcStat(text), ProcStatError, JSON.stringify(text));
    }
  });
});

describe('readProcStat and liveGroupMembers on a fixture /proc tree', () => {
  let procRoot = '';

  before(async () => {
    procRoot = await mkdtemp(join(tmpdir(), 'snoozebot-proc-'));
    const put = async (name: string, text: string) => {
      await mkdir(join(procRoot, name), { recursive: true });
      await writeFile(join(procRoot, name, 'stat'), text);
    };
    await put('100', statLine({ pid: 100, comm: '(my) proc)', pgrp: 100, startTime: 5000 }));
    await put('101', statLine({ pid: 101, comm: 'child', ppid: 100, pgrp: 100, startTime: 5001 }));
    await put('102', statLine({ pid: 102, comm: 'dead', ppid: 100, pgrp: 100, state: 'Z', startTime: 5002 }));
    await put('200', statLine({ pid: 200, comm: 'other', pgrp: 200, startTime: 6000 }));
    await put('300', 'not a stat line');
    await put('self', statLine({ pid: 100, comm: 'self', pgrp: 100, startTime: 5000 }));
  });

  after(async () => {
    await rm(procRoot, { recursive: true, force: true });
  });

  it('reads a process that exists', async () => {
    const stat = await readProcStat(100, procRoot);
    assert.equal(stat?.comm, '(my) proc)');
    assert.equal(stat?.startTime, 5000);
  });

  it('answers undefined for a pid that does not exist', async () => {
    assert.equal(await readProcStat(999, procRoot), undefined);
  });

  it('throws on a stat file that cannot be parsed', async () => {
    await assert.rejects(readProcStat(300, procRoot), ProcStatError);
  });

  it('refuses what is not a pid', async () => {
    for (const pid of [0, -1, 1.5, Number.NaN]) await assert.rejects(readProcStat(pid, procRoot), RangeError, String(pid));
  });

  it('lists the live members of a group, not zombies, other groups or junk', async () => {
    const members = await liveGroupMembers(100, procRoot);
    assert.deepEqual(members.map((m) => m.pid).sort(), [100, 101]);
    assert.deepEqual(await liveGroupMembers(4242, procRoot), []);
  });
});
