// The bundled CLI (dist/snoozebot and its chunks, scripts/bundle.ts): each
// command compiles only the chunks it needs, each with a V8 code cache that is
// written once and then used, and a cache that cannot be written never stops
// a command.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { VERSION } from '../../src/version.js';
import { DaemonDir, httpRequest, runCli } from '../helpers/daemon.js';

const chunksIn = async (dir: string) => (await readdir(dir)).filter((f) => f.endsWith('.v8cache')).map((f) => f.split('-')[0]).sort();

test('the CLI compiles only the chunks a command needs, with a code cache written once', async (t) => {
  const cache = await mkdtemp(join(tmpdir(), 'snoozebot-cache-'));
  t.after(() => rm(cache, { recursive: true, force: true }));
  const env = { SNOOZEBOT_CACHE_DIR: cache };

  const help = await runCli(['--help'], env);
  assert.equal(help.code, 0, help.stderr);
  assert.deepEqual(await chunksIn(cache), ['snoozebot.cli'], '--help compiles the CLI chunk alone');
  const [file] = (await readdir(cache)).filter((f) => f.startsWith('snoozebot.cli-'));
  assert.ok(file !== undefined);
  const written = (await stat(join(cache, file))).mtimeMs;

  const unreachable = await runCli(['status', '--socket', join(cache, 'nothing.sock')], env);
  assert.equal(unreachable.code, 3, unreachable.stderr);
  assert.equal((await stat(join(cache, file))).mtimeMs, written, 'the cache was used, not written again');
  assert.deepEqual(await chunksIn(cache), ['snoozebot.cli'], 'status never loads the daemon or the check');

  const check = await runCli(['plugins', 'check', join(cache, 'no-such-plugin')], env);
  assert.equal(check.code, 1);
  assert.deepEqual(await chunksIn(cache), ['snoozebot.check', 'snoozebot.cli'], 'plugins check compiles its own chunk');
});

test('a cache directory that is not private is not used, and the CLI works all the same', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snoozebot-cache-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const open = join(dir, 'open');
  await mkdir(open);
  await chmod(open, 0o777);
  const version = await runCli(['--version'], { SNOOZEBOT_CACHE_DIR: open });
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout.trim(), VERSION);
  assert.deepEqual(await readdir(open), [], 'nothing written to a directory others can write to');
});

// The daemon fixes its young generation with a V8 flag at run time (src/loader/young-generation.ts); V8 stamps
// code caches with a hash of its flags. The `cli` chunk runs in the daemon and in every command: a cache one of
// them writes must be one the other takes.
test('the daemon and the CLI take each other\'s code cache of the cli chunk', async (t) => {
  const cache = await mkdtemp(join(tmpdir(), 'snoozebot-cache-'));
  t.after(() => rm(cache, { recursive: true, force: true }));
  const env = { SNOOZEBOT_CACHE_DIR: cache };
  const cliCache = async () => {
    const [file] = (await readdir(cache)).filter((f) => f.startsWith('snoozebot.cli-'));
    assert.ok(file, `a cache of the cli chunk in ${cache}`);
    return join(cache, file);
  };
  const runDaemon = async () => {
    const dir = await DaemonDir.create(t);
    const daemon = await dir.start({ config: null, env });
    assert.deepEqual(await daemon.stop(), { code: 0, signal: null }, daemon.output());
  };

  const help = await runCli(['--help'], env);
  assert.equal(help.code, 0, help.stderr);
  const byCli = await cliCache();
  const cliWritten = (await stat(byCli)).mtimeMs;
  await runDaemon();
  assert.equal((await stat(byCli)).mtimeMs, cliWritten, "the daemon took the CLI's cache (a rejected one is written again at exit)");

  await rm(byCli);
  await runDaemon();
  const byDaemon = await cliCache();
  const daemonWritten = (await stat(byDaemon)).mtimeMs;
  const again = await runCli(['--help'], env);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((await stat(byDaemon)).mtimeMs, daemonWritten, "the CLI took the daemon's cache");
});

/** prom-client's size of V8's new space (the young generation), from the daemon's /metrics. */
async function newSpaceBytes(socket: string): Promise<number> {
  const metrics = await httpRequest(socket, 'GET', '/metrics');
  assert.equal(metrics.status, 200, metrics.body);
  const line = /^nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)$/m.exec(metrics.body);
  assert.ok(line, 'nodejs_heap_space_size_total_bytes for the new space in /metrics');
  return Number(line[1]);
}

test('the daemon keeps its young generation at its initial size under API load', async (t) => {
  const dir = await DaemonDir.create(t);
  const daemon = await dir.start({ config: null });
  t.after(() => daemon.stopIfRunning());
  const before = await newSpaceBytes(dir.socket);
  // Without the fixed size, V8 doubled it twice within the bench's 500 pairs of requests (rows t5/t6).
  for (let i = 0; i < 1_500; i++) {
    const answer = await httpRequest(dir.socket, 'GET', '/v1/plugins');
    assert.equal(answer.status, 200, answer.body);
  }
  assert.equal(await newSpaceBytes(dir.socket), before, 'the new space did not grow');
});
