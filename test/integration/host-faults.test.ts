// PluginProcess against plugins that misbehave in every way the host must
// survive: each must fail with the right HostError code and a useful message,
// and leave no process and no socket directory behind.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import pino from 'pino';
import { HostError } from '../../src/host/errors.js';
import type { HostErrorCode } from '../../src/host/errors.js';
import type { PluginProcessOptions } from '../../src/host/options.js';
import { PluginProcess } from '../../src/host/plugin-process.js';
import type { ExitInfo } from '../../src/host/plugin-process.js';
import { assertGroupGone, assertPidGone, makeSocketParent, pidAlive, procStat } from '../helpers/leftovers.js';
import type { SocketParent } from '../helpers/leftovers.js';
import { LOCAL_PLUGIN, shFixture, tsFixture } from '../helpers/paths.js';

/** For plugins that will not stop gracefully anyway; graceful stops keep the defaults so a slow machine does not turn them into kills. */
const FAST_STOP = { controllerMs: 200, termMs: 200 };

interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

interface Harness {
  readonly plugin: PluginProcess;
  readonly sockets: SocketParent;
  readonly logs: LogRecord[];
  /** stop() again (it must be idempotent), then: no process of the group, no socket directory. */
  assertCleanedUp(): Promise<void>;
}

type HarnessOptions = Omit<PluginProcessOptions, 'logger' | 'socketParentDir'> & { logLevel?: pino.LevelWithSilent };

async function harness(t: TestContext, options: HarnessOptions): Promise<Harness> {
  const sockets = await makeSocketParent();
  const logs: LogRecord[] = [];
  const logger = pino({ level: options.logLevel ?? 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogRecord) });
  const plugin = new PluginProcess({ ...options, socketParentDir: sockets.dir, logger });
  t.after(async () => {
    await plugin.stop();
    await sockets.cleanup();
  });
  return {
    plugin,
    sockets,
    logs,
    async assertCleanedUp() {
      await plugin.stop();
      assert.equal(plugin.state, 'exited');
      if (plugin.pid !== undefined) await assertGroupGone(plugin.pid);
      await sockets.assertEmpty();
    },
  };
}

function hostError(code: HostErrorCode, message?: RegExp) {
  return (error: unknown): true => {
    assert.ok(error instanceof HostError, `expected a HostError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  };
}

async function startError(plugin: PluginProcess): Promise<HostError> {
  const error = await plugin.start().then(
    () => assert.fail('start() resolved, expected it to reject'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof HostError, `expected a HostError, got ${String(error)}`);
  return error;
}

function logged(logs: readonly LogRecord[], level: number, text: string): boolean {
  return logs.some((r) => r.level === level && r.msg.includes(text));
}

const WARN = 40;

describe('plugin fails before serving', () => {
  test('exits before its handshake: exit code and stderr reason', async (t) => {
    const h = await harness(t, { path: shFixture('exit-early'), stopTimeouts: FAST_STOP });
    const error = await startError(h.plugin);
    assert.equal(error.code, 'PLUGIN_EXITED_EARLY');
    assert.match(error.message, /exited with code 3 before its handshake/);
    assert.ok(
      error.stderrTail.some((l) => l.includes('cannot read /nonexistent/credentials')),
      `stderr tail: ${JSON.stringify(error.stderrTail)}`,
    );
    assert.deepEqual(h.plugin.exitInfo, { code: 3, signal: null, expected: false });
    assert.ok(logged(h.logs, WARN, 'plugin failed to start'));
    await h.assertCleanedUp();
  });

  test('garbage handshake line is quoted in the error', async (t) => {
    const h = await harness(t, { path: shFixture('garbage-handshake'), stopTimeouts: FAST_STOP });
    const error = await startError(h.plugin);
    assert.equal(error.code, 'PLUGIN_HANDSHAKE');
    assert.ok(error.message.includes('"1|garbage"'), error.message);
    await h.assertCleanedUp();
  });

  test('1 MiB on stdout without a newline stops at the 64 KiB line cap', async (t) => {
    const h = await harness(t, { path: shFixture('stdout-flood'), stopTimeouts: FAST_STOP });
    const error = await startError(h.plugin);
    assert.equal(error.code, 'PLUGIN_HANDSHAKE');
    assert.match(error.message, new RegExp(`more than ${64 * 1024} bytes on stdout without a newline before its handshake`));
    assert.match(error.message, /only the handshake line may go to stdout/);
    await h.assertCleanedUp();
  });

  test('wrong core protocol version', async (t) => {
    const h = await harness(t, { path: shFixture('core-version'), stopTimeouts: FAST_STOP });
    const error = await startError(h.plugin);
    assert.equal(error.code, 'PLUGIN_HANDSHAKE');
    assert.match(error.message, /coreVersion: saw "2", expected "1"/);
    await h.assertCleanedUp();
  });

  test('net/rpc handshake is refused', async (t) => {
    const h = await harness(t, { path: shFixture('netrpc'), stopTimeouts: FAST_STOP });
    const error = await startError(h.plugin);
    assert.equal(error.code, 'PLUGIN_HANDSHAKE');
    assert.match(error.message, /protocol: saw "netrpc"/);
    assert.match(error.message, /serve the plugin with gRPC/);
    await h.assertCleanedUp();
  });

  test('never answers: start timeout', async (t) => {
    const h = await harness(t, { path: shFixture('silent'), startTimeoutMs: 1500, stopTimeouts: FAST_STOP });
    const error = await startError(h.plugin);
    assert.equal(error.code, 'PLUGIN_START_TIMEOUT');
    assert.match(error.message, /did not print its handshake within 1500 ms/);
    await h.assertCleanedUp();
  });

  test('health NOT_SERVING: unhealthy or timed out waiting for SERVING', async (t) => {
    const h = await harness(t, { path: tsFixture('not-serving'), startTimeoutMs: 1500, stopTimeouts: FAST_STOP });
    const error = await startError(h.plugin);
    // The health loop and the start deadline end at the same moment; either may report it.
    if (error.code === 'PLUGIN_UNHEALTHY') assert.match(error.message, /did not report health SERVING \(last: NOT_SERVING\)/);
    else {
      assert.equal(error.code, 'PLUGIN_START_TIMEOUT', error.message);
      assert.match(error.message, /did not report health SERVING within 1500 ms/);
    }
    assert.equal(h.plugin.handshake?.network, 'unix');
    await h.assertCleanedUp();
  });
});

describe('plugin announces an address it was not offered', () => {
  test("pointing the host at another plugin's socket fails the start, and the other plugin is left alone", async (t) => {
    const other = await harness(t, { path: LOCAL_PLUGIN });
    await other.plugin.start();
    const victim = other.plugin.handshake?.address ?? '';
    assert.equal(other.plugin.handshake?.network, 'unix');
    const h = await harness(t, { path: shFixture('points-elsewhere'), env: { FIXTURE_NETWORK: 'unix', FIXTURE_ADDRESS: victim }, stopTimeouts: FAST_STOP });
    const error = await startError(h.plugin);
    assert.equal(error.code, 'PLUGIN_ADDRESS');
    assert.ok(error.message.startsWith(`plugin points-elsewhere.sh announced address ${victim} outside the socket directory made for this start (`), error.message);
    await h.assertCleanedUp();
    assert.equal(other.plugin.state, 'serving');
    assert.equal(await other.plugin.client.providerName(), 'local');
  });

  test('a symlink inside its own socket directory that leads to another socket is refused too', async (t) => {
    const other = await harness(t, { path: LOCAL_PLUGIN });
    await other.plugin.start();
    const victim = other.plugin.handshake?.address ?? '';
    const scratch = await mkdtemp(join(tmpdir(), 'sbt-link-'));
    t.after(() => rm(scratch, { recursive: true, force: true }));
    // The fixture links $PLUGIN_UNIX_SOCKET_DIR/plugin.sock to the victim, then announces the link.
    const script = join(scratch, 'links-elsewhere');
    await writeFile(script, `#!/bin/sh\nln -s '${victim}' "$PLUGIN_UNIX_SOCKET_DIR/plugin.sock"\necho "1|1|unix|$PLUGIN_UNIX_SOCKET_DIR/plugin.sock|grpc"\nexec cat >/dev/null\n`);
    await chmod(script, 0o755);
    const h = await harness(t, { path: script, stopTimeouts: FAST_STOP });
    const error = await startError(h.plugin);
    assert.equal(error.code, 'PLUGIN_ADDRESS');
    assert.match(error.message, new RegExp(`, which leads to ${victim.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} outside the socket directory made for this start`));
    await h.assertCleanedUp();
  });

  test('TCP: another host, or loopback outside the offered ports, fails the start', async (t) => {
    for (const [address, message] of [
      ['10.9.8.7:12345', /announced address 10\.9\.8\.7:12345 outside loopback: 10\.9\.8\.7 is not a loopback IP address/],
      ['127.0.0.1:22', /announced address 127\.0\.0\.1:22 outside the port range offered \(10000-25000/],
    ] as const) {
      const h = await harness(t, { path: shFixture('points-elsewhere'), env: { FIXTURE_NETWORK: 'tcp', FIXTURE_ADDRESS: address }, stopTimeouts: FAST_STOP });
      const error = await startError(h.plugin);
      assert.equal(error.code, 'PLUGIN_ADDRESS');
      assert.match(error.message, message);
      await h.assertCleanedUp();
    }
  });
});

describe('plugin misbehaves after its handshake', () => {
  test('dies right after a valid handshake: exited event, cleaned up', async (t) => {
    const h = await harness(t, { path: tsFixture('dies-after-handshake'), stopTimeouts: FAST_STOP });
    const exited = once(h.plugin, 'exited') as Promise<[ExitInfo]>;
    const outcome = await h.plugin.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    // Depending on timing the plugin is gone before health SERVING, or just after.
    if (outcome !== undefined) {
      hostError('PLUGIN_EXITED_EARLY', /exited with code 0 before (its handshake|health SERVING)/)(outcome);
    }
    const [info] = await exited;
    assert.deepEqual(info, { code: 0, signal: null, expected: false });
    assert.deepEqual(h.plugin.exitInfo, info);
    if (outcome === undefined) {
      assert.throws(() => h.plugin.client, hostError('PLUGIN_STOPPED'));
      assert.ok(logged(h.logs, WARN, 'unexpectedly'), 'an unexpected exit is logged as a warning');
    }
    await h.assertCleanedUp();
  });

  test('ignores Shutdown and SIGTERM: killed by SIGKILL', async (t) => {
    const h = await harness(t, { path: tsFixture('ignores-sigterm'), stopTimeouts: FAST_STOP });
    await h.plugin.start();
    assert.equal(await h.plugin.client.providerName(), 'fixture');
    const exited = once(h.plugin, 'exited') as Promise<[ExitInfo]>;
    await h.plugin.stop();
    const [info] = await exited;
    assert.deepEqual(info, { code: null, signal: 'SIGKILL', expected: true });
    assert.equal(h.plugin.exitInfo?.signal, 'SIGKILL');
    assert.ok(logged(h.logs, WARN, 'plugin ignored SIGTERM'));
    await h.assertCleanedUp();
  });

  test('forked child that ignores SIGTERM is gone after stop', async (t) => {
    const scratch = await mkdtemp(join(tmpdir(), 'sbt-child-'));
    t.after(() => rm(scratch, { recursive: true, force: true }));
    const pidFile = join(scratch, 'child.pid');
    const h = await harness(t, { path: tsFixture('forks-child'), env: { FIXTURE_CHILD_PID_FILE: pidFile } });
    await h.plugin.start();
    const pgid = h.plugin.pid;
    assert.ok(pgid !== undefined);
    const childPid = Number((await readFile(pidFile, 'utf8')).trim());
    assert.ok(Number.isInteger(childPid) && childPid > 1, `child pid ${childPid}`);
    assert.ok(pidAlive(childPid), 'the child runs while the plugin serves');
    assert.equal(procStat(childPid)?.pgrp, pgid, "the child is in the plugin's process group");
    assert.equal(await h.plugin.client.providerName(), 'fixture');

    await h.plugin.stop();
    // The plugin itself exits gracefully; the child it left is the host's to kill.
    assert.deepEqual(h.plugin.exitInfo, { code: 0, signal: null, expected: true });
    assert.ok(logged(h.logs, WARN, 'plugin left processes behind'));
    await assertPidGone(childPid);
    await h.assertCleanedUp();
  });

  test('stderr flood before the handshake: still serves, stderr tail is capped', async (t) => {
    const tailLines = 8;
    // Each stderr line is logged; keep the 100k of them out of memory.
    const h = await harness(t, {
      path: shFixture('stderr-flood'),
      // The local plugin's own log lines must not push the flood out of the tail.
      env: { SNOOZEBOT_LOG_LEVEL: 'error' },
      stderrTailLines: tailLines,
      logLevel: 'warn',
      startTimeoutMs: 30_000,
    });
    await h.plugin.start();
    assert.equal(await h.plugin.client.providerName(), 'local');
    const tail = h.plugin.stderrTail();
    assert.ok(tail.length > 0 && tail.length <= tailLines, `tail has ${tail.length} lines`);
    for (const line of tail) assert.ok(line.length < 300, `a tail line of ${line.length} chars`);
    assert.ok(
      tail.some((l) => l.startsWith('eeee') && l.endsWith(`(line cut at ${64 * 1024} bytes)`)),
      `the 5 MB line shows up cut: ${JSON.stringify(tail.map((l) => l.slice(-40)))}`,
    );
    assert.ok(tail.includes('stderr-flood fixture: noise'));
    await h.plugin.stop();
    assert.deepEqual(h.plugin.exitInfo, { code: 0, signal: null, expected: true });
    // The flood was not re-logged line by line: counted, and reported once the pipes closed.
    const reports = () => h.logs.filter((l) => typeof l.dropped === 'number');
    const deadline = Date.now() + 5_000;
    // The last count is reported when the pipes close, just after the exit.
    while (reports().reduce((sum, l) => sum + Number(l.dropped), 0) < 90_000 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const dropped = reports().reduce((sum, l) => sum + Number(l.dropped), 0);
    assert.ok(dropped > 90_000, `dropped ${dropped} of 100,002 lines`);
    assert.ok(reports().length <= 10, `${reports().length} reports for a flood of about a second`);
    assert.match(String(reports()[0]?.msg), /more than 100 lines\/s/);
    await h.assertCleanedUp();
  });
});

describe('before spawning', () => {
  test('sha256 pin mismatch refuses to start', async (t) => {
    const h = await harness(t, { path: LOCAL_PLUGIN, sha256: 'ab'.repeat(32) });
    const error = await startError(h.plugin);
    assert.equal(error.code, 'PLUGIN_CHECKSUM');
    assert.match(error.message, /refusing to start it/);
    assert.equal(h.plugin.pid, undefined, 'nothing was spawned');
    await h.assertCleanedUp();
  });

  test('matching sha256 pin starts', async (t) => {
    const digest = createHash('sha256')
      .update(await readFile(LOCAL_PLUGIN))
      .digest('hex');
    const h = await harness(t, { path: LOCAL_PLUGIN, sha256: `sha256:${digest.toUpperCase()}` });
    await h.plugin.start();
    assert.equal(h.plugin.state, 'serving');
    assert.equal(await h.plugin.client.providerName(), 'local');
    await h.plugin.stop();
    await h.assertCleanedUp();
  });

  test('non-executable file: PLUGIN_SPAWN', async (t) => {
    const scratch = await mkdtemp(join(tmpdir(), 'sbt-noexec-'));
    t.after(() => rm(scratch, { recursive: true, force: true }));
    const path = join(scratch, 'plugin');
    await writeFile(path, '#!/bin/sh\nexit 0\n');
    await chmod(path, 0o644);
    const h = await harness(t, { path });
    const error = await startError(h.plugin);
    assert.equal(error.code, 'PLUGIN_SPAWN');
    assert.match(error.message, /is not executable/);
    assert.equal(h.plugin.pid, undefined);
    await h.assertCleanedUp();
  });

  test('missing path: PLUGIN_NOT_FOUND', async (t) => {
    const h = await harness(t, { path: join(tmpdir(), 'sbt-no-such-dir', 'no-such-plugin') });
    const error = await startError(h.plugin);
    assert.equal(error.code, 'PLUGIN_NOT_FOUND');
    assert.match(error.message, /no-such-plugin does not exist/);
    await h.assertCleanedUp();
  });
});

describe('stop()', () => {
  test('right after start(): start rejects with PLUGIN_STOPPED, nothing left', async (t) => {
    const h = await harness(t, { path: LOCAL_PLUGIN });
    const starting = h.plugin.start();
    const failed = assert.rejects(starting, hostError('PLUGIN_STOPPED', /stopped while starting/));
    // stop() alone must be enough: it resolves once the aborted start has cleaned up.
    await h.plugin.stop();
    await h.sockets.assertEmpty();
    await failed;
    await h.assertCleanedUp();
    // Work that outlasts anything the aborted start still had in flight: a
    // socket directory created late by it would show up now.
    const next = new PluginProcess({ path: LOCAL_PLUGIN, socketParentDir: h.sockets.dir, logger: pino({ level: 'silent' }) });
    t.after(() => next.stop());
    await next.start();
    await next.stop();
    await h.sockets.assertEmpty();
  });

  test('once the process is spawned: start rejects with PLUGIN_STOPPED, nothing left', async (t) => {
    const h = await harness(t, { path: shFixture('silent'), startTimeoutMs: 10_000, stopTimeouts: FAST_STOP });
    const starting = h.plugin.start();
    const failed = starting.then(
      () => undefined,
      (e: unknown) => e,
    );
    // Wait (turn by turn, not by time) until the plugin has a pid.
    let settled = false;
    void failed.then(() => (settled = true));
    while (h.plugin.pid === undefined && !settled) await nextTurn();
    assert.ok(h.plugin.pid !== undefined, 'the plugin was spawned');
    await h.plugin.stop();
    hostError('PLUGIN_STOPPED', /stopped while starting/)(await failed);
    assert.equal(h.plugin.exitInfo?.expected, true);
    await h.assertCleanedUp();
  });

  test('twice, concurrently and again after, and before any start', async (t) => {
    const h = await harness(t, { path: LOCAL_PLUGIN });
    await h.plugin.start();
    await Promise.all([h.plugin.stop(), h.plugin.stop()]);
    await h.plugin.stop();
    assert.deepEqual(h.plugin.exitInfo, { code: 0, signal: null, expected: true });
    assert.throws(() => h.plugin.client, hostError('PLUGIN_STOPPED'));
    await h.assertCleanedUp();

    const idle = await harness(t, { path: LOCAL_PLUGIN });
    await idle.plugin.stop();
    await idle.plugin.stop();
    assert.equal(idle.plugin.pid, undefined);
    await assert.rejects(idle.plugin.start(), hostError('PLUGIN_SPAWN', /already started/));
    await idle.assertCleanedUp();
  });
});
