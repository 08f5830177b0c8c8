import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../../src/daemon/idle/signals/find-executable.js';
import { highestPercent, parseGpuUtilization, readGpuUtilization } from '../../src/daemon/idle/signals/gpu.js';
import { SignalParseError } from '../../src/daemon/idle/signals/signal-error.js';
import { assertPidGone } from '../helpers/leftovers.js';
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

describe('readGpuUtilization with the fake nvidia-smi', () => {
  const env = (vars: Record<string, string>): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, ...vars });
  const read = (vars: Record<string, string>, timeoutMs?: number) =>
    readGpuUtilization({ pathValue: `${FAKE_BIN}:/usr/bin:/bin`, env: env(vars), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });

  it('is undefined when nvidia-smi is not on the path', async () => {
    assert.equal(await readGpuUtilization({ pathValue: '/nonexistent' }), undefined);
  });

  it('reads every GPU', async () => {
    assert.deepEqual(await read({ FAKE_NVIDIA_SMI_OUTPUT: '12\n87\n[N/A]' }), { percents: [12, 87], unavailable: 1 });
  });

  it('is undefined when nvidia-smi finds no GPU (driver installed on a CPU-only instance type)', async () => {
    assert.equal(await read({ FAKE_NVIDIA_SMI_OUTPUT: 'No devices were found', FAKE_NVIDIA_SMI_EXIT: '6' }), undefined);
    assert.equal(await read({}), undefined);
  });

  it("fails with nvidia-smi's own words when it fails", async () => {
    await assert.rejects(
      read({ FAKE_NVIDIA_SMI_STDERR: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.", FAKE_NVIDIA_SMI_EXIT: '9' }),
      /exited with status 9: NVIDIA-SMI has failed because it couldn't communicate/,
    );
  });

  it('fails on output that is not percentages', async () => {
    await assert.rejects(read({ FAKE_NVIDIA_SMI_OUTPUT: 'Segmentation fault' }), SignalParseError);
  });

  it('gives up on a hung nvidia-smi at its timeout and kills it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'snoozebot-smi-'));
    try {
      const pidFile = join(dir, 'pid');
      const started = Date.now();
      await assert.rejects(read({ FAKE_NVIDIA_SMI_HANG: '1', FAKE_NVIDIA_SMI_PID_FILE: pidFile }, 300), /did not answer within 300 ms/);
      assert.ok(Date.now() - started < 5_000, 'the timeout bounds the read');
      await assertPidGone(Number(await readFile(pidFile, 'utf8')));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('passes the query snoozebot makes (the fake refuses any other)', async () => {
    // The fake exits 2 on other arguments; a successful read proves the arguments.
    assert.deepEqual(await read({ FAKE_NVIDIA_SMI_OUTPUT: '5' }), { percents: [5], unavailable: 0 });
  });
});
