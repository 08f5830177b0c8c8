import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECK_STDERR_TAIL_BYTES, checkResult, runCheck } from '../../src/daemon/idle/signals/check.js';
import { assertPidGone } from '../helpers/leftovers.js';

const check = (command: string, timeoutMs = 5_000) => ({ name: 't', command, timeoutMs });

describe('checkResult', () => {
  it('maps exit 0 to busy, other exits to idle, anything without an answer to busy', () => {
    assert.deepEqual(checkResult({ kind: 'exited', exitCode: 0, stdout: '', stderrTail: '' }), { busy: true, answered: true, detail: 'exit 0' });
    assert.deepEqual(checkResult({ kind: 'exited', exitCode: 3, stdout: '', stderrTail: 'queue empty' }), { busy: false, answered: true, detail: 'exit 3: queue empty' });
    assert.deepEqual(checkResult({ kind: 'timed-out', timeoutMs: 50, stderrTail: '' }), { busy: true, answered: false, detail: 'timed out after 50 ms, counted as busy' });
    assert.deepEqual(checkResult({ kind: 'signalled', signal: 'SIGSEGV', stdout: '', stderrTail: '' }), { busy: true, answered: false, detail: 'killed by SIGSEGV, counted as busy' });
    assert.deepEqual(checkResult({ kind: 'spawn-failed', message: 'spawn /bin/sh ENOENT' }), { busy: true, answered: false, detail: 'could not start: spawn /bin/sh ENOENT, counted as busy' });
  });
});

describe('runCheck', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snoozebot-check-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('exit 0 is busy', async () => {
    assert.deepEqual(await runCheck(check('true')), { busy: true, answered: true, detail: 'exit 0' });
  });

  it('any other exit is idle, with the end of stderr', async () => {
    assert.deepEqual(await runCheck(check('echo "no jobs queued" >&2; exit 1')), { busy: false, answered: true, detail: 'exit 1: no jobs queued' });
    assert.deepEqual(await runCheck(check('exit 42')), { busy: false, answered: true, detail: 'exit 42' });
    // 127: the shell could not find the command, which the operator needs to see.
    const missing = await runCheck(check('no-such-command-snoozebot'));
    assert.equal(missing.busy, false);
    assert.match(missing.detail, /^exit 127: .*no-such-command-snoozebot.*not found/);
  });

  it('discards stdout and keeps only the last KiB of stderr', async () => {
    const result = await runCheck(check('yes stdout | head -c 1000000; head -c 100000 /dev/zero | tr "\\0" x >&2; echo THE-END >&2; exit 1'));
    assert.equal(result.busy, false);
    assert.ok(result.detail.endsWith('THE-END'), result.detail.slice(-50));
    assert.ok(!result.detail.includes('stdout'));
    assert.ok(result.detail.length <= 'exit 1: '.length + CHECK_STDERR_TAIL_BYTES, `detail is ${result.detail.length} long`);
  });

  it('a check killed by a signal is busy', async () => {
    const result = await runCheck(check('kill -SEGV $$'));
    assert.deepEqual(result, { busy: true, answered: false, detail: 'killed by SIGSEGV, counted as busy' });
  });

  it('a shell that cannot start is busy', async () => {
    const result = await runCheck(check('true'), { shell: join(dir, 'no-shell') });
    assert.equal(result.busy, true);
    assert.equal(result.answered, false);
    assert.match(result.detail, /^could not start: .*ENOENT.*counted as busy$/);
  });

  it('runs with the given environment', async () => {
    assert.equal((await runCheck(check('test "$SNOOZEBOT_TEST_VAR" = yes'), { env: { SNOOZEBOT_TEST_VAR: 'yes' } })).busy, true);
    assert.equal((await runCheck(check('test "$SNOOZEBOT_TEST_VAR" = yes'), { env: {} })).busy, false);
  });

  it('a check that times out is busy, and it and what it forked are killed', async () => {
    const pidFile = join(dir, 'sleep.pid');
    const started = Date.now();
    const result = await runCheck(check(`sleep 300 & echo $! > '${pidFile}'; echo waiting >&2; wait`, 300));
    assert.deepEqual(result, { busy: true, answered: false, detail: 'timed out after 300 ms, counted as busy: waiting' });
    assert.ok(Date.now() - started < 5_000, 'the timeout bounds the check');
    await assertPidGone(Number(await readFile(pidFile, 'utf8')));
  });

  it('a check that exits leaving a background process behind does not keep it running', async () => {
    const pidFile = join(dir, 'sleep.pid');
    // The sleep holds stderr open: the check must still finish when the shell exits.
    const result = await runCheck(check(`sleep 300 & echo $! > '${pidFile}'; exit 1`, 5_000));
    assert.deepEqual(result, { busy: false, answered: true, detail: 'exit 1' });
    await assertPidGone(Number(await readFile(pidFile, 'utf8')));
  });
});

describe('runCheck stderr', () => {
  it('puts a multi-line stderr on one line', async () => {
    assert.deepEqual(await runCheck(check('printf "first\\n\\nsecond  \\n" >&2; exit 1')), { busy: false, answered: true, detail: 'exit 1: first | second' });
  });
});
