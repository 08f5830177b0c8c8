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
import { runCli } from '../helpers/daemon.js';

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
