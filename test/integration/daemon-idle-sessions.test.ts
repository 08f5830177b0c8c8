// Idle detection round two, end to end: a real daemon with the local plugin,
// reading its sessions under a fixture root (SNOOZEBOT_IDLE_ROOT) whose proc/
// and dev/ are the machine's, so the utmp record the test writes points at a
// real process on a real pseudo-terminal (test/helpers/pty.ts).
// - Left without input, the session stops counting after sessionIdleMs; the
//   machine is then idle, and after the nap time the local plugin really runs
//   its stop command (a harmless `echo >> file`, not a dry run).
// - Typing into the terminal keeps the machine up.
// And the GPU: one fake nvidia-smi for the daemon's whole life, gone when
// a reload turns idle detection off and when the daemon stops.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { IdleStatus } from '../../src/daemon/idle/status.js';
import { USER_PROCESS, UTMP_RECORD_BYTES } from '../../src/daemon/idle/signals/sessions.js';
import type { DaemonStatus } from '../../src/daemon/types.js';
import { DaemonDir, FAST_CONFIG, httpRequest, mergeConfig, POLL_MS } from '../helpers/daemon.js';
import type { DaemonProcess } from '../helpers/daemon.js';
import { assertGroupGone, assertPidGone } from '../helpers/leftovers.js';
import { LOCAL_PLUGIN, REPO_ROOT } from '../helpers/paths.js';
import { PtySession } from '../helpers/pty.js';

const FAKE_BIN = join(REPO_ROOT, 'test/fixtures/bin');
const SESSION_IDLE_MS = 10_000;
const NAP_MS = 2_000;
const WINDOW_MS = 300;

/** Only the sessions decide: this machine is busy running other tests. */
const ONLY_SESSIONS = { cpuPercent: null, load1: null, networkBytesPerSecond: null, diskBytesPerSecond: null, sessions: 0, gpuPercent: null };

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function skipWithoutScript(t: TestContext): boolean {
  if (hasScript) return false;
  const why = 'util-linux `script` (Debian bsdutils) is not installed: no pseudo-terminal to test with';
  if (process.env.CI) assert.fail(why);
  t.skip(why);
  return true;
}

function utmpRecord(pid: number, user: string, line: string): Buffer {
  const b = Buffer.alloc(UTMP_RECORD_BYTES);
  b.writeInt16LE(USER_PROCESS, 0);
  b.writeInt32LE(pid, 4);
  b.write(line, 8, 32);
  b.write(user, 44, 32);
  b.write('10.0.0.5', 76, 256);
  b.writeUInt32LE(Math.floor(Date.now() / 1000), 340);
  return b;
}

/** A root whose proc/ and dev/ are the machine's and whose utmp lists only the test's terminal. */
async function sessionRoot(t: TestContext, pty: PtySession): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'sbr-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await symlink('/proc', join(root, 'proc'));
  await symlink('/dev', join(root, 'dev'));
  await mkdir(join(root, 'run'));
  await writeFile(join(root, 'run/utmp'), utmpRecord(pty.pid, 'alice', pty.line));
  return root;
}

function sessionConfig(stopFile: string): unknown {
  return mergeConfig(FAST_CONFIG, {
    plugins: { local: { env: { SNOOZEBOT_LOCAL_STOP_COMMAND: `echo stopped >> '${stopFile}'` } } },
    idle: {
      napTimeMs: NAP_MS,
      checkIntervalMs: 200,
      graceMs: 0,
      cancelWindowMs: WINDOW_MS,
      sessionIdleMs: SESSION_IDLE_MS,
      thresholds: ONLY_SESSIONS,
    },
  });
}

async function idleStatus(daemon: DaemonProcess): Promise<IdleStatus> {
  const res = await httpRequest(daemon.socket, 'GET', '/v1/status');
  return (JSON.parse(res.body) as DaemonStatus).idle;
}

/** Polls the status until it matches; the daemon is another process, so there is no event. */
async function waitIdle(daemon: DaemonProcess, what: string, predicate: (s: IdleStatus) => boolean, timeoutMs = 30_000): Promise<IdleStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await idleStatus(daemon);
    if (predicate(status)) return status;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; last: ${JSON.stringify(status)}\n${daemon.output()}`);
    await delay(POLL_MS);
  }
}

const stopLines = async (file: string): Promise<string[]> => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);

describe('a real terminal session, end to end (local plugin, real stop command)', () => {
  it('left without input: counted until sessionIdleMs, then idle for the nap time, then stopped once', async (t) => {
    if (skipWithoutScript(t)) return;
    const pty = await PtySession.open(t);
    const opened = pty.accessMs();
    const root = await sessionRoot(t, pty);
    const dir = await DaemonDir.create(t);
    const stopFile = join(dir.root, 'stopped');
    await dir.addPlugin('local', LOCAL_PLUGIN);
    const daemon = await dir.start({ config: sessionConfig(stopFile), dryRun: false, env: { SNOOZEBOT_IDLE_ROOT: root } });
    await daemon.waitServing('local');

    const busy = await waitIdle(daemon, 'busy on the session', (s) => s.phase === 'busy');
    assert.deepEqual(busy.busySignals, ['sessions']);
    const session = busy.signals.find((r) => r.signal === 'sessions')?.sessions?.[0];
    assert.deepEqual([session?.user, session?.line, session?.idleFrom, session?.counted], ['alice', pty.line, 'tty', true]);
    // The session as `w` shows it; whether it still counts depends on how long the CLI took to start (seconds, on a loaded machine).
    const text = await daemon.cli('status');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^alice\\s+${pty.line.replace('/', '\\/')}\\s+10\\.0\\.0\\.5\\s+\\S+\\s+\\d+s\\s+(yes|no)$`, 'm'));

    const stopped = await waitIdle(daemon, 'the stop', (s) => s.phase === 'stopped');
    assert.equal(stopped.lastStop?.outcome, 'stopped');
    assert.equal(stopped.lastStop?.plugin, 'local');
    assert.deepEqual(await stopLines(stopFile), ['stopped'], "the local plugin ran its stop command once");
    // Not before the session had been without input for sessionIdleMs, and the machine idle for the nap time after that.
    const stoppedAt = Date.parse(stopped.lastStop?.at ?? '');
    assert.ok(stoppedAt - opened >= SESSION_IDLE_MS + NAP_MS + WINDOW_MS, `stopped ${stoppedAt - opened} ms after the last input`);

    // The record says what decided: the session's idle time when the nap began.
    const began = stopped.phaseChanges.find((c) => c.from === 'busy' && c.to === 'idle');
    assert.ok(began, JSON.stringify(stopped.phaseChanges));
    const then = began.signals.find((r) => r.signal === 'sessions');
    assert.deepEqual([then?.value, then?.sessions?.[0]?.counted], [0, false]);
    assert.ok((then?.sessions?.[0]?.idleSeconds ?? 0) >= SESSION_IDLE_MS / 1000);
    assert.deepEqual(stopped.phaseChanges.map((c) => c.to).slice(-4), ['idle', 'announced', 'stopping', 'stopped']);
  });

  it('typing into the terminal keeps the machine up', async (t) => {
    if (skipWithoutScript(t)) return;
    const pty = await PtySession.open(t);
    const root = await sessionRoot(t, pty);
    const dir = await DaemonDir.create(t);
    const stopFile = join(dir.root, 'stopped');
    await dir.addPlugin('local', LOCAL_PLUGIN);
    const daemon = await dir.start({ config: sessionConfig(stopFile), dryRun: false, env: { SNOOZEBOT_IDLE_ROOT: root } });
    await waitIdle(daemon, 'busy on the session', (s) => s.phase === 'busy');

    // Keys every second for longer than sessionIdleMs + nap + window: without them the machine would have stopped.
    const until = Date.now() + SESSION_IDLE_MS + NAP_MS + WINDOW_MS + 3_000;
    while (Date.now() < until) {
      pty.type('echo still here\n');
      const status = await idleStatus(daemon);
      assert.equal(status.phase, 'busy', `the machine stopped counting the session: ${JSON.stringify(status.signals)}`);
      assert.deepEqual(status.busySignals, ['sessions']);
      // Typing is a wait on the person, not on an event of the daemon's.
      await delay(1_000);
    }
    const status = await idleStatus(daemon);
    assert.equal(status.lastStop, null);
    assert.deepEqual(await stopLines(stopFile), []);
    const idleSeconds = status.signals.find((r) => r.signal === 'sessions')?.sessions?.[0]?.idleSeconds;
    // The kernel moves a terminal's access time in 8-second steps.
    assert.ok(idleSeconds !== null && idleSeconds !== undefined && idleSeconds < 10, `idle ${idleSeconds} s while typing`);
  });
});

describe('the GPU reader under a real daemon (fake nvidia-smi)', () => {
  async function gpuDaemon(t: TestContext): Promise<{ daemon: DaemonProcess; dir: DaemonDir; starts: () => Promise<number[]> }> {
    const dir = await DaemonDir.create(t);
    const startsFile = join(dir.root, 'smi-starts');
    const daemon = await dir.start({
      config: mergeConfig(FAST_CONFIG, { idle: { napTimeMs: 600_000, checkIntervalMs: 1_000, graceMs: 0, thresholds: { ...ONLY_SESSIONS, gpuPercent: 5 } } }),
      env: { PATH: `${FAKE_BIN}:${process.env.PATH ?? ''}`, FAKE_NVIDIA_SMI_OUTPUT: '42', FAKE_NVIDIA_SMI_STARTS_FILE: startsFile },
    });
    const starts = async () => (await stopLines(startsFile)).map((line) => Number(line.split(' ')[0]));
    return { daemon, dir, starts };
  }

  it('one nvidia-smi for many samples; a reload that turns idle detection off leaves none', async (t) => {
    const { daemon, dir, starts } = await gpuDaemon(t);
    const busy = await waitIdle(daemon, 'the GPU reading', (s) => s.signals.some((r) => r.signal === 'gpu' && r.value === 42));
    assert.deepEqual(busy.busySignals, ['gpu']);
    const sampled = Date.parse(busy.lastSampleAt ?? '');
    await waitIdle(daemon, 'three more samples', (s) => Date.parse(s.lastSampleAt ?? '') >= sampled + 3_000);
    const pids = await starts();
    assert.equal(pids.length, 1, `one nvidia-smi for every sample, started ${pids.length}`);

    await writeFile(dir.configPath, JSON.stringify(mergeConfig(FAST_CONFIG, { idle: { enabled: false } })));
    process.kill(daemon.pid, 'SIGHUP');
    await daemon.waitForLog((l) => l.msg === 'idle detection turned off by a config reload', { what: 'the reload' });
    await assertPidGone(pids[0] ?? 0);
    await assertGroupGone(pids[0] ?? 0);
  });

  it('the daemon stopping leaves no nvidia-smi behind', async (t) => {
    const { daemon, starts } = await gpuDaemon(t);
    await waitIdle(daemon, 'the GPU reading', (s) => s.signals.some((r) => r.signal === 'gpu' && r.value === 42));
    const [pid] = await starts();
    assert.ok(pid !== undefined);
    process.kill(daemon.pid, 'SIGTERM');
    const exit = await daemon.exited;
    assert.equal(exit.code, 0);
    await assertPidGone(pid);
    await assertGroupGone(pid);
  });
});
