import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { promisify } from 'node:util';
import { runInNewContext } from 'node:vm';
import { FIRST_SAMPLE, IdleSampler, bootTime } from '../../src/daemon/idle/sampler.js';
import type { IdleSamplerOptions } from '../../src/daemon/idle/sampler.js';
import { DEFAULT_IDLE_THRESHOLDS } from '../../src/daemon/idle/settings.js';
import type { IdleThresholds } from '../../src/daemon/idle/settings.js';
import type { SignalReading } from '../../src/daemon/idle/status.js';
import { USER_PROCESS, UTMP_RECORD_BYTES } from '../../src/daemon/idle/signals/sessions.js';
import { REPO_ROOT } from '../helpers/paths.js';

const VM_FIXTURE = join(REPO_ROOT, 'test/fixtures/proc/vm');
const FAKE_BIN = join(REPO_ROOT, 'test/fixtures/bin');
const INTERVAL = 10_000;
const execFileAsync = promisify(execFile);

const IGNORE_ALL: IdleThresholds = { cpuPercent: null, load1: null, load1PerCore: null, networkBytesPerSecond: null, diskBytesPerSecond: null, sessions: null, gpuPercent: null };

/**
 * This VM's /proc (test/fixtures/proc/vm) copied to a temporary root, with its
 * counters moved forward by the test as if time had passed. Loopback traffic
 * always moves: it must never count.
 */
class VmTree {
  readonly root: string;
  #stat = '';
  #netDev = '';
  #diskstats = '';
  // From the fixture files.
  #busy = 220375 + 60218 + 458 + 92;
  #idle = 1333558 + 1301;
  #rx = 756272723;
  #tx = 2363072;
  #lo = 3624120;
  #sectorsRead = 10556490;
  #sectorsWritten = 8472320;
  now = 1_800_000_000_000;

  private constructor(root: string) {
    this.root = root;
  }

  static async create(): Promise<VmTree> {
    const root = await mkdtemp(join(tmpdir(), 'snoozebot-sampler-'));
    await cp(VM_FIXTURE, root, { recursive: true });
    // As on the VM the fixture comes from: eth0 is virtio (a device), ifb0 and ifb1 are virtual.
    await mkdir(join(root, 'sys/class/net/eth0/device'), { recursive: true });
    for (const name of ['lo', 'ifb0', 'ifb1']) await mkdir(join(root, 'sys/class/net', name), { recursive: true });
    const tree = new VmTree(root);
    [tree.#stat, tree.#netDev, tree.#diskstats] = await Promise.all([
      readFile(join(root, 'proc/stat'), 'utf8'),
      readFile(join(root, 'proc/net/dev'), 'utf8'),
      readFile(join(root, 'proc/diskstats'), 'utf8'),
    ]);
    return tree;
  }

  /** `ms` pass with this much activity; the files are rewritten like the kernel's view. */
  async pass(ms: number, activity: { busyTicks?: number; idleTicks?: number; rx?: number; tx?: number; sectorsRead?: number; sectorsWritten?: number } = {}): Promise<void> {
    this.now += ms;
    this.#busy += activity.busyTicks ?? 0;
    this.#idle += activity.idleTicks ?? 0;
    this.#rx += activity.rx ?? 0;
    this.#tx += activity.tx ?? 0;
    this.#lo += 50_000_000;
    this.#sectorsRead += activity.sectorsRead ?? 0;
    this.#sectorsWritten += activity.sectorsWritten ?? 0;
    await this.write();
  }

  /** Counters as the fixture shows them with the current totals: the busy ticks all in user, the idle ticks all in idle. */
  async write(): Promise<void> {
    const stat = this.#stat.replace(/^cpu .*$/m, `cpu  ${this.#busy} 0 0 ${this.#idle} 0 0 0 0 0 0`);
    const netDev = this.#netDev
      .replace(/^ +lo:.*$/m, `    lo: ${this.#lo} 1 0 0 0 0 0 0 ${this.#lo} 1 0 0 0 0 0 0`)
      .replace(/^ +eth0:.*$/m, `  eth0: ${this.#rx} 22117 0 0 0 0 0 0 ${this.#tx} 15668 0 0 0 0 0 0`);
    const diskstats = this.#diskstats.replace(/^ +254 +0 vda .*$/m, ` 254       0 vda 323669 42944 ${this.#sectorsRead} 248456 44311 153221 ${this.#sectorsWritten} 35912 0 31616 293062 98945 63 5755848 8656 967 36`);
    await Promise.all([
      writeFile(join(this.root, 'proc/stat'), stat),
      writeFile(join(this.root, 'proc/net/dev'), netDev),
      writeFile(join(this.root, 'proc/diskstats'), diskstats),
    ]);
  }

  async setLoad(load1: number): Promise<void> {
    await writeFile(join(this.root, 'proc/loadavg'), `${load1.toFixed(2)} 0.10 0.68 1/88 31955\n`);
  }

  async put(path: string, text: string | Buffer): Promise<void> {
    await writeFile(join(this.root, path), text);
  }

  sampler(options: Partial<IdleSamplerOptions> = {}): IdleSampler {
    return new IdleSampler({ root: this.root, thresholds: DEFAULT_IDLE_THRESHOLDS, checks: [], toolPath: '', now: () => this.now, ...options });
  }

  cleanup(): Promise<void> {
    return rm(this.root, { recursive: true, force: true });
  }
}

function utmpSession(pid: number, user: string, line: string, host: string): Buffer {
  const b = Buffer.alloc(UTMP_RECORD_BYTES);
  b.writeInt16LE(USER_PROCESS, 0);
  b.writeInt32LE(pid, 4);
  b.write(line, 8, 32);
  b.write(user, 44, 32);
  b.write(host, 76, 256);
  b.writeUInt32LE(1_800_000_000, 340);
  return b;
}

const bySignal = (readings: readonly SignalReading[], signal: string): SignalReading => {
  const found = readings.find((r) => r.signal === signal);
  assert.ok(found, `no ${signal} reading in ${JSON.stringify(readings)}`);
  return found;
};

describe('IdleSampler over a fixture /proc tree', () => {
  let tree: VmTree;
  beforeEach(async () => {
    tree = await VmTree.create();
  });
  afterEach(() => tree.cleanup());

  it('after prime, gives every signal in order with CPU %, rates and thresholds', async () => {
    const sampler = tree.sampler();
    await sampler.prime();
    // 10 s on 2 cores: 2000 ticks, 30 % busy; 15 kB over the network, 60 sectors to disk.
    await tree.pass(INTERVAL, { busyTicks: 600, idleTicks: 1400, rx: 10_000, tx: 5_000, sectorsRead: 20, sectorsWritten: 40 });
    const readings = await sampler.sample();
    assert.deepEqual(readings, [
      { signal: 'cpu', value: 30, threshold: 10, unit: '%', busy: true },
      { signal: 'load', value: 0, threshold: 0.5, unit: '', busy: false, detail: '5 min 0.1, 15 min 0.68' },
      { signal: 'network', value: 1500, threshold: 50 * 1024, unit: 'B/s', busy: false, detail: 'received 1000 B/s, sent 500 B/s on eth0', interfaces: ['eth0'] },
      { signal: 'disk', value: 3072, threshold: 1024 * 1024, unit: 'B/s', busy: false, detail: 'read 1024 B/s, written 2048 B/s' },
      { signal: 'sessions', value: 0, threshold: 0, unit: 'sessions', busy: false, sessions: [] },
    ]);
  });

  it('measures each interval against the one before', async () => {
    const sampler = tree.sampler();
    await sampler.prime();
    await tree.pass(INTERVAL, { busyTicks: 2000, idleTicks: 0, rx: 1_000_000 });
    const busy = await sampler.sample();
    assert.deepEqual([bySignal(busy, 'cpu').value, bySignal(busy, 'network').value], [100, 100_000]);
    assert.deepEqual([bySignal(busy, 'cpu').busy, bySignal(busy, 'network').busy], [true, true]);
    await tree.pass(INTERVAL / 2, { busyTicks: 10, idleTicks: 990, tx: 500 });
    const quiet = await sampler.sample();
    assert.deepEqual([bySignal(quiet, 'cpu').value, bySignal(quiet, 'network').value], [1, 100]);
    assert.deepEqual([bySignal(quiet, 'cpu').busy, bySignal(quiet, 'network').busy], [false, false]);
  });

  it('without prime, the first sample has no rates and is not busy on them', async () => {
    const sampler = tree.sampler();
    const first = await sampler.sample();
    for (const signal of ['cpu', 'network', 'disk']) {
      assert.deepEqual(
        { ...bySignal(first, signal), threshold: null },
        { signal, value: null, threshold: null, unit: signal === 'cpu' ? '%' : 'B/s', busy: false, detail: FIRST_SAMPLE, ...(signal === 'network' ? { interfaces: ['eth0'] } : {}) },
      );
    }
    assert.equal(bySignal(first, 'load').value, 0);
    await tree.pass(INTERVAL, { busyTicks: 100, idleTicks: 1900 });
    const second = await sampler.sample();
    assert.equal(bySignal(second, 'cpu').value, 5);
    assert.equal(bySignal(second, 'network').value, 0);
  });

  it('busy means strictly above the threshold; a null threshold is never busy', async () => {
    const sampler = tree.sampler({ thresholds: { ...DEFAULT_IDLE_THRESHOLDS, cpuPercent: 25, load1: 1.5 } });
    await sampler.prime();
    await tree.setLoad(1.5);
    await tree.pass(INTERVAL, { busyTicks: 500, idleTicks: 1500 });
    let readings = await sampler.sample();
    assert.deepEqual([bySignal(readings, 'cpu').value, bySignal(readings, 'cpu').busy], [25, false]);
    assert.deepEqual([bySignal(readings, 'load').value, bySignal(readings, 'load').busy], [1.5, false]);

    sampler.setThresholds(IGNORE_ALL);
    await tree.setLoad(40);
    await tree.pass(INTERVAL, { busyTicks: 2000, rx: 1e9, sectorsWritten: 1e7 });
    readings = await sampler.sample();
    assert.deepEqual(
      readings.map((r) => [r.signal, r.threshold, r.busy]),
      ['cpu', 'load', 'network', 'disk', 'sessions'].map((s) => [s, null, false]),
    );
    assert.equal(bySignal(readings, 'load').value, 40);
  });

  it('a signal that cannot be read is busy, with the reason', async () => {
    const sampler = tree.sampler();
    await sampler.prime();
    await rm(join(tree.root, 'proc/loadavg'));
    await tree.pass(INTERVAL);
    await tree.put('proc/diskstats', '   8       0 sda 1 2\n');
    const readings = await sampler.sample();
    const load = bySignal(readings, 'load');
    assert.deepEqual([load.value, load.busy], [null, true]);
    assert.match(load.detail ?? '', /ENOENT.*loadavg/);
    const disk = bySignal(readings, 'disk');
    assert.deepEqual([disk.value, disk.busy], [null, true]);
    assert.match(disk.detail ?? '', /diskstats line for sda has 2 counters/);
    assert.equal(bySignal(readings, 'cpu').busy, false, 'the other signals are read as usual');

    // Left out of the decision, an unreadable signal is shown but not busy.
    sampler.setThresholds(IGNORE_ALL);
    const ignored = bySignal(await sampler.sample(), 'load');
    assert.deepEqual([ignored.value, ignored.busy], [null, false]);
    assert.match(ignored.detail ?? '', /ENOENT/);
  });

  it('a counter that goes down gives no rate for one sample, then rates again', async () => {
    const sampler = tree.sampler();
    await sampler.prime();
    // An interface with traffic on it goes away: the sum drops.
    await tree.pass(INTERVAL, { rx: -700_000_000 });
    const reset = bySignal(await sampler.sample(), 'network');
    assert.equal(reset.value, null);
    assert.equal(reset.busy, false);
    assert.match(reset.detail ?? '', /went down/);
    await tree.pass(INTERVAL, { rx: 20_000 });
    assert.equal(bySignal(await sampler.sample(), 'network').value, 2_000);
  });

  /** A terminal device under the fixture root whose last input was `secondsAgo` before the tree's clock. */
  async function terminal(line: string, secondsAgo: number): Promise<void> {
    const path = join(tree.root, 'dev', line);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, '');
    const at = (tree.now - secondsAgo * 1000) / 1000;
    await utimes(path, at, at);
  }

  it('counts live login sessions and names them with their idle time, as w does', async () => {
    await mkdir(join(tree.root, 'run'));
    await mkdir(join(tree.root, 'proc/4242'));
    await terminal('pts/0', 125);
    // pid 5151's session died without a logout record.
    await tree.put('run/utmp', Buffer.concat([utmpSession(4242, 'alice', 'pts/0', '10.0.0.5'), utmpSession(5151, 'bob', 'pts/1', '')]));
    const sampler = tree.sampler();
    let sessions = bySignal(await sampler.sample(), 'sessions');
    assert.deepEqual(sessions, {
      signal: 'sessions',
      value: 1,
      threshold: 0,
      unit: 'sessions',
      busy: true,
      detail: 'alice on pts/0 from 10.0.0.5 (idle 2m05s)',
      sessions: [
        {
          user: 'alice',
          line: 'pts/0',
          host: '10.0.0.5',
          source: 'utmp',
          loginTime: new Date(1_800_000_000_000).toISOString(),
          idleSeconds: 125,
          idleFrom: 'tty',
          counted: true,
        },
      ],
    });
    await rm(join(tree.root, 'proc/4242'), { recursive: true });
    sessions = bySignal(await sampler.sample(), 'sessions');
    assert.deepEqual([sessions.value, sessions.busy, sessions.sessions], [0, false, []]);
  });

  it('with sessionIdleMs, counts only the sessions with recent input, and those whose input cannot be known', async () => {
    await mkdir(join(tree.root, 'run'));
    for (const pid of [4242, 4343, 4444]) await mkdir(join(tree.root, `proc/${pid}`));
    await terminal('pts/0', 5);
    await terminal('pts/1', 2 * 3600);
    // carol's pts/2 has no device here: her input is unknown, so she counts.
    await tree.put('run/utmp', Buffer.concat([utmpSession(4242, 'alice', 'pts/0', ''), utmpSession(4343, 'bob', 'pts/1', ''), utmpSession(4444, 'carol', 'pts/2', '')]));
    const sampler = tree.sampler({ sessionIdleMs: 30 * 60_000 });
    const sessions = bySignal(await sampler.sample(), 'sessions');
    assert.equal(sessions.value, 2);
    assert.equal(sessions.busy, true);
    assert.equal(sessions.detail, 'alice on pts/0 (idle 5s), carol on pts/2 (idle ?); 1 more without input for over 30m00s, not counted');
    assert.deepEqual(
      sessions.sessions?.map((s) => [s.user, s.idleSeconds, s.idleFrom, s.counted]),
      [['alice', 5, 'tty', true], ['bob', 7200, 'tty', false], ['carol', null, null, true]],
    );
    // Nobody typed for 30 minutes, and carol logged out: the sessions no longer keep the machine up.
    tree.now += 30 * 60_000;
    await rm(join(tree.root, 'proc/4444'), { recursive: true });
    const later = bySignal(await sampler.sample(), 'sessions');
    assert.deepEqual([later.value, later.busy], [0, false]);
    assert.equal(later.detail, '2 more without input for over 30m00s, not counted');
  });

  it('lists at most five counted sessions in the detail', async () => {
    await mkdir(join(tree.root, 'run'));
    const records: Buffer[] = [];
    for (let i = 0; i < 7; i++) {
      await mkdir(join(tree.root, `proc/${100 + i}`));
      await terminal(`pts/${i}`, i);
      records.push(utmpSession(100 + i, `u${i}`, `pts/${i}`, ''));
    }
    await tree.put('run/utmp', Buffer.concat(records));
    const sessions = bySignal(await tree.sampler().sample(), 'sessions');
    assert.equal(sessions.value, 7);
    assert.equal(sessions.detail, 'u0 on pts/0 (idle 0s), u1 on pts/1 (idle 1s), u2 on pts/2 (idle 2s), u3 on pts/3 (idle 3s), u4 on pts/4 (idle 4s) and 2 more');
    assert.equal(sessions.sessions?.length, 7, 'the list in the reading has them all');
  });

  it('load1PerCore shares the load out over the online CPUs and replaces the absolute threshold', async () => {
    await tree.setLoad(1.5);
    const perCore = bySignal(await tree.sampler({ thresholds: { ...IGNORE_ALL, load1: 0.5, load1PerCore: 0.7 } }).sample(), 'load');
    // The fixture VM has 2 CPUs: 1.5 / 2 = 0.75 per CPU, over 0.7.
    assert.deepEqual(perCore, { signal: 'load', value: 0.75, threshold: 0.7, unit: 'per CPU', busy: true, detail: '1.5 on 2 CPUs; 5 min 0.1, 15 min 0.68' });
    await tree.put('proc/stat', 'cpu  1 2 3 4\n');
    const uncountable = bySignal(await tree.sampler({ thresholds: { ...IGNORE_ALL, load1PerCore: 0.7 } }).sample(), 'load');
    assert.deepEqual([uncountable.value, uncountable.busy], [null, true]);
    assert.match(uncountable.detail ?? '', /no "cpuN" line/);
  });

  it('reports the GPU only when nvidia-smi exists: the busiest GPU, after sessions', async () => {
    const env = (output: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, FAKE_NVIDIA_SMI_OUTPUT: output, ...extra });
    assert.ok(!(await tree.sampler().sample()).some((r) => r.signal === 'gpu'), 'no GPU signal without nvidia-smi');
    /** The first GPU reading that is not waiting for nvidia-smi's first report; the sampler is closed after. */
    const gpuReading = async (toolEnv: NodeJS.ProcessEnv): Promise<SignalReading[]> => {
      const sampler = tree.sampler({ toolPath: FAKE_BIN, toolEnv });
      try {
        await sampler.prime();
        const deadline = Date.now() + 10_000;
        for (;;) {
          const readings = await sampler.sample();
          const gpu = bySignal(readings, 'gpu');
          if (!(gpu.value === null && !gpu.busy)) return readings;
          assert.ok(Date.now() < deadline, `nvidia-smi never reported: ${JSON.stringify(gpu)}`);
          await delay(50);
        }
      } finally {
        sampler.close();
      }
    };

    const readings = await gpuReading(env('3\n40\n[N/A]'));
    assert.deepEqual(readings.map((r) => r.signal), ['cpu', 'load', 'network', 'disk', 'sessions', 'gpu']);
    assert.deepEqual(bySignal(readings, 'gpu'), {
      signal: 'gpu',
      value: 40,
      threshold: 5,
      unit: '%',
      busy: true,
      detail: '2 GPUs: 3 %, 40 %; 1 GPU reports no utilisation ([N/A])',
    });
    assert.deepEqual(bySignal(await gpuReading(env('0')), 'gpu'), { signal: 'gpu', value: 0, threshold: 5, unit: '%', busy: false });

    const failing = bySignal(await gpuReading(env('', { FAKE_NVIDIA_SMI_STDERR: 'Unable to determine the device handle', FAKE_NVIDIA_SMI_EXIT: '15' })), 'gpu');
    assert.deepEqual([failing.value, failing.busy], [null, true]);
    assert.match(failing.detail ?? '', /exited with status 15: Unable to determine the device handle/);

    const unavailable = bySignal(await gpuReading(env('[N/A]\n[N/A]')), 'gpu');
    assert.deepEqual([unavailable.value, unavailable.busy], [null, true]);
    assert.match(unavailable.detail ?? '', /gpuPercent to null/);
  });

  it('runs custom checks last, in their order: exit 0 busy, other exits idle, no answer busy', async () => {
    const sampler = tree.sampler({ thresholds: IGNORE_ALL, checks: [{ name: 'jobs', command: 'exit 0', timeoutMs: 5_000 }] });
    let readings = await sampler.sample();
    assert.deepEqual(readings.map((r) => r.signal), ['cpu', 'load', 'network', 'disk', 'sessions', 'check:jobs']);
    assert.deepEqual(bySignal(readings, 'check:jobs'), { signal: 'check:jobs', value: 1, threshold: 0, unit: 'exit', busy: true, detail: 'exit 0' });

    sampler.setChecks([
      { name: 'queue', command: 'echo empty >&2; exit 1', timeoutMs: 5_000 },
      { name: 'slow', command: 'sleep 30', timeoutMs: 200 },
      { name: 'build', command: 'exit 0', timeoutMs: 5_000 },
    ]);
    readings = await sampler.sample();
    assert.deepEqual(readings.slice(5), [
      { signal: 'check:queue', value: 0, threshold: 0, unit: 'exit', busy: false, detail: 'exit 1: empty' },
      { signal: 'check:slow', value: null, threshold: 0, unit: 'exit', busy: true, detail: 'timed out after 200 ms, counted as busy' },
      { signal: 'check:build', value: 1, threshold: 0, unit: 'exit', busy: true, detail: 'exit 0' },
    ]);

    sampler.setChecks([]);
    assert.equal((await sampler.sample()).length, 5);
  });

  it('runs the checks side by side, not one after another', async () => {
    // The reader blocks until the writer opens the FIFO: one after the other, the first would time out.
    const fifo = join(tree.root, 'handoff');
    await execFileAsync('mkfifo', [fifo]);
    const sampler = tree.sampler({
      thresholds: IGNORE_ALL,
      checks: [
        { name: 'reader', command: `read line < '${fifo}'; test "$line" = hello`, timeoutMs: 5_000 },
        { name: 'writer', command: `echo hello > '${fifo}'`, timeoutMs: 5_000 },
      ],
    });
    const readings = await sampler.sample();
    assert.deepEqual(readings.slice(5).map((r) => [r.signal, r.detail]), [['check:reader', 'exit 0'], ['check:writer', 'exit 0']]);
  });

  it('bootTime reads btime', async () => {
    assert.deepEqual(await bootTime(tree.root), new Date(1795461092 * 1000));
    await tree.put('proc/stat', 'cpu  1 2 3 4\n');
    assert.equal(await bootTime(tree.root), undefined);
    assert.equal(await bootTime(join(tree.root, 'nonexistent')), undefined);
  });

  it('does not grow in memory over 10,000 samples', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    await mkdir(join(tree.root, 'run'));
    await mkdir(join(tree.root, 'proc/4242'));
    await tree.put('run/utmp', utmpSession(4242, 'alice', 'pts/0', '10.0.0.5'));
    const sampler = tree.sampler();
    await sampler.prime();
    const heapAfter = async (samples: number) => {
      for (let i = 0; i < samples; i++) {
        tree.now += INTERVAL;
        await sampler.sample();
      }
      gc();
      return process.memoryUsage().heapUsed;
    };
    const warm = await heapAfter(1_000);
    const after = await heapAfter(9_000);
    // A leak of even one reading (~200 bytes) per sample would be 1.8 MB here.
    assert.ok(after - warm < 1024 * 1024, `heap grew by ${after - warm} bytes over 9,000 samples`);
  });
});
