import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../../src/daemon/idle/signals/find-executable.js';
import { highestPercent, parseGpuUtilization } from '../../src/daemon/idle/signals/gpu.js';
import { GpuStream, STALL_MS } from '../../src/daemon/idle/signals/gpu-stream.js';
import type { GpuRead } from '../../src/daemon/idle/signals/gpu-stream.js';
import { SignalParseError } from '../../src/daemon/idle/signals/signal-error.js';
import { assertGroupGone, assertPidGone } from '../helpers/leftovers.js';
import { REPO_ROOT } from '../helpers/paths.js';

const FAKE_BIN = join(REPO_ROOT, 'test/fixtures/bin');

describe('parseGpuUtilization', () => {
  it('reads one percentage per GPU', () => {
    const gpus = parseGpuUtilization('0\n35\n100\n');
    assert.deepEqual(gpus, { percents: [0, 35, 100], unavailable: 0 });
    assert.equal(highestPercent(gpus), 100);
  });

  it('skips blank lines and padding', () => {
    assert.deepEqual(parseGpuUtilization('\n  7 \r\n\n12\n'), { percents: [7, 12], unavailable: 0 });
  });

  it('counts [N/A] and [Not Supported] GPUs apart', () => {
    const gpus = parseGpuUtilization('[N/A]\n3\n[Not Supported]\n');
    assert.deepEqual(gpus, { percents: [3], unavailable: 2 });
    assert.equal(highestPercent(gpus), 3);
    assert.equal(highestPercent(parseGpuUtilization('[N/A]\n')), undefined);
  });

  it('rejects anything that is not a percentage', () => {
    assert.throws(() => parseGpuUtilization('35 %\n'), SignalParseError);
    assert.throws(() => parseGpuUtilization('utilization.gpu [%]\n35\n'), /utilisation percentage/);
    assert.throws(() => parseGpuUtilization('101\n'), SignalParseError);
    assert.throws(() => parseGpuUtilization('-1\n'), SignalParseError);
  });
});

describe('findExecutable', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snoozebot-path-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('finds the first executable file on the PATH value', async () => {
    await mkdir(join(dir, 'a'));
    await mkdir(join(dir, 'b'));
    await writeFile(join(dir, 'a/tool'), '#!/bin/sh\n', { mode: 0o644 });
    await writeFile(join(dir, 'b/tool'), '#!/bin/sh\n', { mode: 0o755 });
    await mkdir(join(dir, 'c/tool'), { recursive: true });
    assert.equal(findExecutable('tool', `${join(dir, 'c')}:${join(dir, 'a')}:${join(dir, 'b')}`), join(dir, 'b/tool'));
    await chmod(join(dir, 'a/tool'), 0o755);
    assert.equal(findExecutable('tool', `${join(dir, 'a')}:${join(dir, 'b')}`), join(dir, 'a/tool'));
  });

  it('skips empty and relative entries, and finds nothing on an empty or missing PATH', async () => {
    assert.equal(findExecutable('nvidia-smi', ':.:test/fixtures/bin'), undefined);
    assert.equal(findExecutable('nvidia-smi', ''), undefined);
    assert.equal(findExecutable('nvidia-smi', undefined), undefined);
    assert.equal(findExecutable('nvidia-smi', `${dir}:/nonexistent`), undefined);
    assert.equal(findExecutable('nvidia-smi', `/nonexistent:${FAKE_BIN}`), join(FAKE_BIN, 'nvidia-smi'));
  });
});

describe('GpuStream: one long-lived nvidia-smi -l, with the fake nvidia-smi', () => {
  let dir = '';
  let streams: GpuStream[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snoozebot-smi-'));
    streams = [];
  });
  afterEach(async () => {
    for (const stream of streams) stream.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** `offset` moves the stream's clock forward, as if that much time had passed. */
  const clock = { offset: 0 };
  beforeEach(() => {
    clock.offset = 0;
  });
  const startsFile = () => join(dir, 'starts');
  const stream = (vars: Record<string, string>, pathValue = `${FAKE_BIN}:/usr/bin:/bin`): GpuStream => {
    const created = new GpuStream({
      pathValue,
      env: { PATH: process.env.PATH, FAKE_NVIDIA_SMI_STARTS_FILE: startsFile(), ...vars },
      now: () => Date.now() + clock.offset,
    });
    created.setPeriod(1_000);
    streams.push(created);
    return created;
  };
  const starts = async (): Promise<string[]> => (await readFile(startsFile(), 'utf8').catch(() => '')).split('\n').filter(Boolean);

  /** Reads until `predicate` holds: nvidia-smi is another process, its rounds arrive when they arrive. */
  async function readUntil(gpu: GpuStream, what: string, predicate: (read: GpuRead) => boolean, timeoutMs = 10_000): Promise<GpuRead> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const read = gpu.read();
      if (predicate(read)) return read;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; last read: ${JSON.stringify(read)}`);
      await delay(50);
    }
  }

  it('is absent when nvidia-smi is not on the path, and starts nothing', async () => {
    const gpu = stream({ FAKE_NVIDIA_SMI_OUTPUT: '5' }, '/nonexistent');
    assert.deepEqual(gpu.read(), { kind: 'absent' });
    assert.equal(gpu.pid, undefined);
    assert.deepEqual(await starts(), []);
  });

  it('reads every round of one process: new figures, no new process', async () => {
    const output = join(dir, 'output');
    await writeFile(output, '12\n87\n[N/A]\n');
    const gpu = stream({ FAKE_NVIDIA_SMI_OUTPUT_FILE: output });
    assert.equal(gpu.read().kind, 'pending', 'just started, nothing printed yet');
    const first = await readUntil(gpu, 'the first round', (r) => r.kind === 'value');
    assert.deepEqual(first, { kind: 'value', utilization: { percents: [12, 87], unavailable: 1 } });
    await writeFile(output, '3\n4\n');
    const next = await readUntil(gpu, 'a later round', (r) => r.kind === 'value' && r.utilization.percents[0] === 3);
    assert.deepEqual(next, { kind: 'value', utilization: { percents: [3, 4], unavailable: 0 } });
    const started = await starts();
    assert.equal(started.length, 1, `one process for every round: ${started.join(' / ')}`);
    // The query snoozebot makes, with the reporting period (the fake refuses any other arguments).
    assert.match(started[0] ?? '', /^\d+ --query-gpu=utilization\.gpu --format=csv,noheader,nounits -l 1$/);
    assert.equal(gpu.pid, Number(started[0]?.split(' ')[0]));
  });

  it('reports at the check interval in whole seconds, and replaces a process when the interval changes', async () => {
    const gpu = stream({ FAKE_NVIDIA_SMI_OUTPUT: '7' });
    gpu.setPeriod(30_000);
    await readUntil(gpu, 'a round', (r) => r.kind === 'value');
    const before = gpu.pid;
    assert.ok(before !== undefined);
    gpu.setPeriod(30_000);
    assert.equal(gpu.pid, before, 'the same period keeps the process');
    gpu.setPeriod(15_400);
    await assertPidGone(before);
    await readUntil(gpu, 'a round of the new process', (r) => r.kind === 'value' && gpu.pid !== before);
    assert.deepEqual((await starts()).map((line) => line.split(' -l ')[1]), ['30', '15']);
  });

  it("a dying nvidia-smi is unreadable with its own words, and restarted after a backoff", async () => {
    const gpu = stream({
      FAKE_NVIDIA_SMI_STDERR: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
      FAKE_NVIDIA_SMI_EXIT: '9',
    });
    const failed = await readUntil(gpu, 'the failure', (r) => r.kind === 'unreadable');
    assert.match(failed.kind === 'unreadable' ? failed.detail : '', /exited with status 9: NVIDIA-SMI has failed because it couldn't communicate.*restarting in 1 s/);
    assert.equal((await starts()).length, 1, 'not restarted before the backoff');
    clock.offset += 1_100;
    await readUntil(gpu, 'the restart', () => true);
    await readUntil(gpu, 'the second failure', (r) => r.kind === 'unreadable' && /restarting in 2 s/.test(r.detail));
    assert.equal((await starts()).length, 2, 'one restart, then a longer backoff');
  });

  it('is absent, and not asked again for a minute, when nvidia-smi finds no GPU', async () => {
    const gpu = stream({ FAKE_NVIDIA_SMI_OUTPUT: 'No devices were found', FAKE_NVIDIA_SMI_EXIT: '6' });
    await readUntil(gpu, 'no GPU', (r) => r.kind === 'absent' && gpu.pid === undefined);
    clock.offset += 30_000;
    assert.deepEqual(gpu.read(), { kind: 'absent' });
    assert.equal((await starts()).length, 1);
  });

  it('kills a hung nvidia-smi, and starts no second one while it has not exited', async () => {
    const gpu = stream({ FAKE_NVIDIA_SMI_HANG: '1' });
    assert.equal(gpu.read().kind, 'pending');
    const pid = gpu.pid;
    assert.ok(pid !== undefined);
    // Until the fake has written its start down, it may not even have begun to hang.
    const deadline = Date.now() + 10_000;
    while ((await starts()).length === 0) {
      assert.ok(Date.now() < deadline, 'the fake nvidia-smi never started');
      await delay(20);
    }
    clock.offset += 1_000 + STALL_MS + 1_000;
    const hung = gpu.read();
    assert.equal(hung.kind, 'unreadable');
    assert.match(hung.kind === 'unreadable' ? hung.detail : '', /printed nothing within \d+ s of starting.*killed, counted as busy/);
    await assertPidGone(pid);
    await readUntil(gpu, 'its exit to be seen', () => gpu.pid === undefined);
    assert.equal((await starts()).length, 1, 'no new process during the backoff');
  });

  it('stop() kills nvidia-smi and whatever it started (the sleep between rounds)', async () => {
    const gpu = stream({ FAKE_NVIDIA_SMI_OUTPUT: '1' });
    await readUntil(gpu, 'a round', (r) => r.kind === 'value');
    const pid = gpu.pid;
    assert.ok(pid !== undefined);
    gpu.stop();
    assert.equal(gpu.pid, undefined);
    await assertPidGone(pid);
    await assertGroupGone(pid);
  });
});
