import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cpuPercent, parseBootTime, parseCpuTimes, readBootTime, readCpuTimes } from '../../src/daemon/idle/signals/cpu.js';
import { SignalParseError } from '../../src/daemon/idle/signals/signal-error.js';
import { REPO_ROOT } from '../helpers/paths.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/proc');

describe('parseCpuTimes', () => {
  it('reads the aggregate line of a current kernel: iowait is idle, guest is not added twice', () => {
    const text = 'cpu  100 5 20 1000 40 3 2 7 50 9\ncpu0 50 2 10 500 20 1 1 3 25 4\nbtime 1700000000\n';
    // total = user..steal = 100+5+20+1000+40+3+2+7; idle = 1000 + 40.
    assert.deepEqual(parseCpuTimes(text), { busy: 137, total: 1177, cpus: 1 });
  });

  it("reads this VM's /proc/stat", async () => {
    // cpu  220375 0 60218 1333558 1301 0 458 92 0 0
    assert.deepEqual(await readCpuTimes(join(FIXTURES, 'vm')), { busy: 220375 + 60218 + 458 + 92, total: 220375 + 60218 + 1333558 + 1301 + 458 + 92, cpus: 2 });
  });

  it('reads a 2.6.18 kernel (8 fields, no guest)', async () => {
    assert.deepEqual(await readCpuTimes(join(FIXTURES, 'old-kernel')), { busy: 2255 + 34 + 2290 + 127 + 456, total: 2255 + 34 + 2290 + 22625563 + 6290 + 127 + 456, cpus: 2 });
  });

  it('reads a 2.4 kernel (4 fields, no iowait)', () => {
    assert.deepEqual(parseCpuTimes('cpu  10 20 30 400\n'), { busy: 60, total: 460, cpus: 0 });
  });

  it('does not take a per-core line for the aggregate', () => {
    assert.deepEqual(parseCpuTimes('cpu0 1 1 1 1\ncpu  10 0 0 90 0 0 0 0\n'), { busy: 10, total: 100, cpus: 1 });
  });

  it('rejects text without a cpu line, with too few fields, or with garbage', () => {
    assert.throws(() => parseCpuTimes(''), SignalParseError);
    assert.throws(() => parseCpuTimes('intr 1 2 3\nctxt 5\n'), /no "cpu" line/);
    assert.throws(() => parseCpuTimes('cpu  1 2 3\n'), /3 fields, expected at least 4/);
    assert.throws(() => parseCpuTimes('cpu  1 2 x 4 5\n'), /field 3 is not a number/);
    assert.throws(() => parseCpuTimes('cpu  1 2 -3 4 5\n'), SignalParseError);
  });
});

describe('parseBootTime', () => {
  it('reads btime', async () => {
    assert.equal(parseBootTime('cpu  1 2 3 4\nbtime 1795461092\nprocesses 12\n'), 1795461092);
    assert.equal(await readBootTime(join(FIXTURES, 'vm')), 1795461092);
    assert.equal(await readBootTime(join(FIXTURES, 'server')), 1700000000);
  });

  it('is undefined when absent, malformed or unreadable', async () => {
    assert.equal(parseBootTime('cpu  1 2 3 4\n'), undefined);
    assert.equal(parseBootTime('btime soon\n'), undefined);
    assert.equal(parseBootTime('xbtime 5\n'), undefined);
    assert.equal(await readBootTime('/nonexistent/root'), undefined);
  });
});

describe('cpuPercent', () => {
  it('is the busy share of the ticks between two reads', () => {
    assert.equal(cpuPercent({ busy: 100, total: 1000 }, { busy: 150, total: 1200 }), 25);
    assert.equal(cpuPercent({ busy: 100, total: 1000 }, { busy: 100, total: 1200 }), 0);
    assert.equal(cpuPercent({ busy: 100, total: 1000 }, { busy: 300, total: 1200 }), 100);
  });

  it('is undefined when no time passed or the counters went back', () => {
    assert.equal(cpuPercent({ busy: 100, total: 1000 }, { busy: 100, total: 1000 }), undefined);
    assert.equal(cpuPercent({ busy: 100, total: 1000 }, { busy: 50, total: 900 }), undefined);
  });

  it('clamps an interval where iowait went backwards to 0..100', () => {
    // Busy grew by more than the total: idle (iowait) decreased.
    assert.equal(cpuPercent({ busy: 100, total: 1000 }, { busy: 250, total: 1100 }), 100);
    assert.equal(cpuPercent({ busy: 100, total: 1000 }, { busy: 90, total: 1100 }), 0);
  });
});
