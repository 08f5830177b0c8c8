// A real daemon and its plugins directory: plugins dropped in, replaced and
// removed while it runs, and files it refuses to run.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PluginStatus } from '../../src/daemon/types.js';
import { VERSION } from '../../src/version.js';
import { DaemonDir, FAST_CONFIG, mergeConfig } from '../helpers/daemon.js';
import { assertGroupGone, assertPidGone } from '../helpers/leftovers.js';
import { LOCAL_PLUGIN, tsFixture } from '../helpers/paths.js';

test('a plugin dropped in, replaced atomically, then removed, while the daemon runs', async (t) => {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('local', LOCAL_PLUGIN);
  const daemon = await dir.start();
  const local = await daemon.waitServing('local');

  // Dropped in the way `install` does: a temporary name in the directory, then a rename.
  await dir.installPlugin('dropped', LOCAL_PLUGIN);
  const dropped = await daemon.waitServing('dropped');
  assert.deepEqual(dropped.provider, { name: 'local', version: VERSION });
  assert.equal(dropped.restarts, 0);
  const droppedIn = await daemon.waitForTransition('dropped', 'serving');
  assert.ok(daemon.logs.some((l) => l.plugin === 'dropped' && l.msg === 'new plugin in the plugins directory'));
  assert.deepEqual(
    droppedIn.map((tr) => `${tr.from}→${tr.to} (${tr.reason})`),
    ['discovered→starting (dropped into the plugins directory)', 'starting→serving (dropped into the plugins directory)'],
  );
  // The temporary file was never taken for a plugin.
  assert.deepEqual((await daemon.list()).map((p) => p.name), ['dropped', 'local']);

  // Replaced atomically by another binary: restarted on the new one.
  const wrapper = join(dir.root, 'well-behaved');
  await writeFile(wrapper, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(tsFixture('well-behaved'))}\n`, { mode: 0o755 });
  await dir.installPlugin('dropped', wrapper);
  const replaced = await daemon.waitForPlugin(
    'dropped',
    (p) => p.state === 'serving' && p.pid !== null && p.pid !== dropped.pid && p.provider?.name === 'fixture',
    { what: 'serving on the new binary' },
  );
  assert.deepEqual(replaced.provider, { name: 'fixture', version: '0.0.1' });
  assert.ok(dropped.pid !== null);
  await assertPidGone(dropped.pid);
  await assertGroupGone(dropped.pid);
  const reasons = (await daemon.waitForTransition('dropped', 'serving', 'binary replaced')).map((tr) => `${tr.to} (${tr.reason})`);
  assert.ok(reasons.includes('stopping (binary replaced)'), JSON.stringify(reasons));
  assert.ok(reasons.includes('serving (binary replaced)'), JSON.stringify(reasons));
  // One replace, one restart.
  assert.equal(reasons.filter((r) => r === 'starting (binary replaced)').length, 1, JSON.stringify(reasons));

  // Removed: unloaded, its process stopped, gone from the list.
  await rm(dir.pluginPath('dropped'));
  const list = await daemon.waitFor((ps) => !ps.some((p) => p.name === 'dropped'), { what: 'dropped gone from the list' });
  assert.ok(replaced.pid !== null);
  await assertPidGone(replaced.pid);
  await assertGroupGone(replaced.pid);
  await daemon.waitForTransition('dropped', 'stopped', 'removed from the plugins directory');
  const info = await daemon.cli('plugins', 'info', 'dropped');
  assert.equal(info.code, 1, info.stderr);
  assert.match(info.stderr, /no plugin named "dropped"/);

  // The other plugin never noticed.
  assert.deepEqual(
    list.map((p) => ({ name: p.name, state: p.state, pid: p.pid, restarts: p.restarts })),
    [{ name: 'local', state: 'serving', pid: local.pid, restarts: 0 }],
  );
});

test('refused files: world-writable, wrong sha256 pin; fixed with chmod, the daemon serves the rest', async (t) => {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('good', LOCAL_PLUGIN);
  await dir.addPlugin('open', LOCAL_PLUGIN, 0o777);
  const pinnedPath = await dir.addPlugin('pinned', LOCAL_PLUGIN);
  const actual = createHash('sha256').update(readFileSync(pinnedPath)).digest('hex');
  const wrong = 'ab'.repeat(32);
  assert.notEqual(actual, wrong);
  const daemon = await dir.start({ config: mergeConfig(FAST_CONFIG, { plugins: { pinned: { sha256: wrong } } }) });

  const list = await daemon.waitFor(
    (ps) => ps.find((p) => p.name === 'good')?.state === 'serving' && ps.filter((p) => p.state === 'refused').length === 2,
    { what: 'good serving, open and pinned refused' },
  );
  const byName = new Map(list.map((p) => [p.name, p]));

  const open = byName.get('open') as PluginStatus;
  assert.equal(open.state, 'refused');
  assert.equal(open.pid, null);
  assert.match(open.reason, /writable by every user \(mode 0777\)/);
  assert.match(open.reason, /chmod o-w/);
  assert.ok(open.reason.includes(dir.pluginPath('open')), open.reason);

  const pinned = byName.get('pinned') as PluginStatus;
  assert.equal(pinned.state, 'refused');
  assert.equal(pinned.pid, null);
  assert.ok(pinned.reason.includes(actual), `actual hash missing: ${pinned.reason}`);
  assert.ok(pinned.reason.includes(wrong), `pinned hash missing: ${pinned.reason}`);
  assert.equal(pinned.lastError, pinned.reason);

  // Refusals are logged with their reason.
  for (const name of ['open', 'pinned']) {
    const logged = (await daemon.waitForTransition(name, 'refused')).find((tr) => tr.to === 'refused');
    assert.ok(logged, `no refused transition logged for ${name}`);
    assert.equal(logged.reason, byName.get(name)?.reason);
  }

  // Loading a refused plugin by hand checks it again: still refused, with the same reason.
  const load = await daemon.cli('plugins', 'load', 'pinned');
  assert.equal(load.code, 1, load.stderr);
  assert.match(load.stderr, /refused/);
  assert.ok(load.stderr.includes(wrong), load.stderr);

  const info = await daemon.cliJson<PluginStatus>('plugins', 'info', 'open');
  assert.equal(info.state, 'refused');

  // The fix the reason names is enough: the daemon sees the chmod and starts it.
  await chmod(dir.pluginPath('open'), 0o755);
  const fixed = await daemon.waitServing('open');
  assert.deepEqual(fixed.provider, { name: 'local', version: VERSION });

  const good = byName.get('good') as PluginStatus;
  const now = await daemon.list();
  const goodNow = now.find((p) => p.name === 'good');
  assert.equal(goodNow?.state, 'serving');
  assert.equal(goodNow?.pid, good.pid);
  assert.equal(now.find((p) => p.name === 'pinned')?.state, 'refused');
});
