// serve() as a process: what a plugin binary does before, during and after
// its handshake, observed from outside with real processes and real gRPC.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { HostError } from '../../src/host/errors.js';
import { PluginProcess } from '../../src/host/plugin-process.js';
import { assertPidGone, makeSocketParent } from '../helpers/leftovers.js';
import { LOCAL_PLUGIN, REPO_ROOT } from '../helpers/paths.js';

const COOKIE = { SNOOZEBOT_PLUGIN: 'snoozebot_plugin_v1' };

function noisyPlugin(): string {
  const path = join(REPO_ROOT, 'dist/js/test/fixtures/sdk/noisy-plugin.js');
  chmodSync(path, 0o755);
  return path;
}

interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(path: string, env: Record<string, string>): Run {
  const child = spawn(path, [], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exit };
}

function firstLine(r: Run): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const newline = r.stdout().indexOf('\n');
      if (newline !== -1) {
        r.child.stdout.off('data', check);
        resolve(r.stdout().slice(0, newline));
      }
    };
    r.child.stdout.on('data', check);
    r.exit.then(() => reject(new Error(`exited before a line: ${r.stderr()}`)), reject);
    check();
  });
}

/** Resolves once stderr so far matches `pattern` (the two pipes need not arrive in the order they were written). */
function stderrMatching(r: Run, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!pattern.test(r.stderr())) return;
      r.child.stderr.off('data', check);
      resolve();
    };
    r.child.stderr.on('data', check);
    r.exit.then(() => reject(new Error(`exited before stderr matched ${pattern}: ${r.stderr()}`)), reject);
    check();
  });
}

test('the bundled plugin runs where Node would read it as an ES module too', async () => {
  // An extension-less file below a package.json that says "module" is loaded as ESM.
  const dir = await mkdtemp(join(tmpdir(), 'sbt-esm-'));
  try {
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
    await copyFile(LOCAL_PLUGIN, join(dir, 'local'));
    await chmod(join(dir, 'local'), 0o755);
    const plugin = new PluginProcess({ path: join(dir, 'local'), logger: pino({ level: 'silent' }) });
    try {
      await plugin.start();
      assert.equal(await plugin.client.providerName(), 'local');
    } finally {
      await plugin.stop();
    }
    assert.deepEqual(plugin.exitInfo, { code: 0, signal: null, expected: true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('without the cookie the plugin explains itself on stderr and exits 1', async () => {
  for (const env of [{}, { SNOOZEBOT_PLUGIN: 'wrong' }]) {
    const r = run(LOCAL_PLUGIN, { SNOOZEBOT_PLUGIN: '', ...env });
    r.child.stdin.end();
    assert.deepEqual(await r.exit, { code: 1, signal: null });
    assert.equal(r.stdout(), '');
    assert.match(r.stderr(), /snoozebot plugin/);
    assert.match(r.stderr(), /snoozebot daemon/);
  }
});

test('a host offering no app version the plugin speaks gets the plugin\'s own version, as from go-plugin, and the reason on stderr', async () => {
  const sockets = await makeSocketParent();
  const r = run(LOCAL_PLUGIN, { ...COOKIE, PLUGIN_PROTOCOL_VERSIONS: '2,3', PLUGIN_UNIX_SOCKET_DIR: sockets.dir });
  // The host, not the plugin, decides that 1 is not among 2,3 (go-plugin: "Incompatible API version with plugin").
  const line = await firstLine(r);
  assert.match(line, /^1\|1\|unix\|/);
  await stderrMatching(r, /answering with version 1/);
  const logged = r.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const reason = logged.find((l) => l['@level'] === 'error');
  assert.ok(reason, `an error line on stderr: ${r.stderr()}`);
  assert.match(String(reason['@message']), /the host offers no plugin protocol version this plugin speaks; answering with version 1/);
  assert.match(String(reason.error), /PLUGIN_PROTOCOL_VERSIONS: saw "2,3", expected one of the plugin's versions \[1\]/);
  r.child.stdin.end();
  assert.deepEqual(await r.exit, { code: 0, signal: null });
  await sockets.assertEmpty();

  // Our host offering 2,3 names the mismatch itself.
  const plugin = new PluginProcess({ path: LOCAL_PLUGIN, appVersions: [2, 3], logger: pino({ level: 'silent' }), socketParentDir: sockets.dir });
  await assert.rejects(plugin.start(), (error: unknown) => {
    assert.ok(error instanceof HostError);
    assert.equal(error.code, 'PLUGIN_HANDSHAKE');
    assert.equal(error.handshakeCode, 'HANDSHAKE_APP_VERSION');
    assert.match(error.message, /^plugin local sent a bad handshake: appVersion: saw 1, expected one of the versions the host offered \[2, 3\]/);
    return true;
  });
  await plugin.stop();
  await sockets.assertEmpty();
  await sockets.cleanup();
});

test('the plugin exits and removes its socket directory when the host closes stdin', async () => {
  const sockets = await makeSocketParent();
  const r = run(LOCAL_PLUGIN, { ...COOKIE, PLUGIN_UNIX_SOCKET_DIR: sockets.dir });
  const line = await firstLine(r);
  assert.match(line, new RegExp(`^1\\|1\\|unix\\|${sockets.dir}/snoozebot-plugin-[^/]+/plugin\\.sock\\|grpc\\|$`));
  r.child.stdin.end();
  assert.deepEqual(await r.exit, { code: 0, signal: null });
  await sockets.assertEmpty();
  await sockets.cleanup();
});

test('SIGTERM stops the plugin cleanly; SIGINT (the host terminal\'s Ctrl-C) does not', async () => {
  const sockets = await makeSocketParent();
  const r = run(LOCAL_PLUGIN, { ...COOKIE, PLUGIN_UNIX_SOCKET_DIR: sockets.dir, SNOOZEBOT_LOG_LEVEL: 'debug' });
  await firstLine(r);
  r.child.kill('SIGINT');
  // SIGINT is only logged; wait for that line, then ask for a real stop.
  await new Promise<void>((resolve) => {
    const check = () => {
      if (r.stderr().includes('ignoring SIGINT')) {
        r.child.stderr.off('data', check);
        resolve();
      }
    };
    r.child.stderr.on('data', check);
    check();
  });
  assert.equal(r.child.exitCode, null, 'still running after SIGINT');
  r.child.kill('SIGTERM');
  assert.deepEqual(await r.exit, { code: 0, signal: null });
  await sockets.assertEmpty();
  await sockets.cleanup();
});

test('the plugin exits when its parent dies, even when stdin is not a pipe', async () => {
  const sockets = await makeSocketParent();
  // A shell parent that starts the plugin with stdin from /dev/null (as go-plugin hosts
  // often pass theirs), reports its pid, then is killed -9.
  const shell = spawn('/bin/sh', ['-c', '"$0" </dev/null & echo "pid=$!"; wait', LOCAL_PLUGIN], {
    env: { ...process.env, ...COOKIE, PLUGIN_UNIX_SOCKET_DIR: sockets.dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const pid = await new Promise<number>((resolve) => {
    shell.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /pid=(\d+)/.exec(out);
      if (match && out.includes('|grpc|')) resolve(Number(match[1]));
    });
  });
  shell.kill('SIGKILL');
  await assertPidGone(pid);
  await sockets.assertEmpty();
  await sockets.cleanup();
});

test('stdout stays the handshake\'s; failures become gRPC statuses and the plugin keeps serving', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const plugin = new PluginProcess({ path: noisyPlugin(), logger: pino({ level: 'debug' }, sink) });
  try {
    await plugin.start();
    const client = plugin.client;
    await assert.rejects(client.instanceInfo(), (error: unknown) => {
      assert.ok(error instanceof HostError);
      assert.equal(error.code, 'PLUGIN_CALL');
      assert.equal(error.grpcCode, 'UNKNOWN');
      assert.match(error.message, /GetInstanceInfo failed: metadata service exploded/);
      return true;
    });
    await assert.rejects(client.listInstances(), (error: unknown) => {
      assert.ok(error instanceof HostError);
      assert.equal(error.grpcCode, 'NOT_FOUND');
      assert.match(error.message, /no such instance i-123 \(check the instance id\)/);
      return true;
    });
    await assert.rejects(client.startInstance(), /StartInstance refused: not today/);
    await client.stopInstance();
    assert.equal(await client.providerName(), 'noisy', 'still serving after the failures');
  } finally {
    await plugin.stop();
  }
  assert.deepEqual(plugin.exitInfo, { code: 0, signal: null, expected: true });
  const messages = lines.map((l) => String(l.msg));
  // The banner printed before serve() went to stderr, not into the handshake.
  assert.ok(messages.includes('banner printed by a library before serve()'), 'banner logged from stderr');
  // Printed after the handshake: relayed over GRPCStdio, logged as the plugin's stdout.
  assert.ok(
    lines.some((l) => l.msg === 'stdout while stopping' && l.stream === 'stdout'),
    'stdout after the handshake reaches the host through GRPCStdio',
  );
  // hclog JSON from the plugin keeps its level and fields, nested under pluginFields.
  const warn = lines.find((l) => l.msg === 'stopping the fixture');
  assert.equal(warn?.level, 40);
  assert.deepEqual((warn?.pluginFields as Record<string, unknown> | undefined)?.instance, 'i-fixture');
  assert.equal(warn?.instance, undefined);
});
