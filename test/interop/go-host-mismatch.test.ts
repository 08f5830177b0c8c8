// go-plugin's own Go host meeting a snoozebot plugin it cannot use: the host
// must be able to say why in its own words, as with a go-plugin server.
// - It offers app protocol versions the plugin lacks: the plugin answers its
//   own version (go-plugin's fallback), so the host reports "Incompatible API
//   version with plugin", instead of "Unrecognized remote plugin message".
// - No TCP port in its range is free: one hclog line on stderr, which the host
//   relays at error level, and no stray grpc-js line.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { goRequired, spawnGoHost } from '../helpers/go.js';
import { assertPidGone } from '../helpers/leftovers.js';
import { LOCAL_PLUGIN } from '../helpers/paths.js';
import { buildGoInterop } from './go-build.js';

/** The plugin pids go-plugin logged ("plugin started … pid=N") at debug level. */
function startedPids(stderr: string): number[] {
  return [...stderr.matchAll(/plugin started: .*pid=(\d+)/g)].map((m) => Number(m[1]));
}

test('Go host offering only version 2: it names the mismatch itself', async (t) => {
  const build = await buildGoInterop();
  if (!goRequired(t, build)) return;
  const tmp = await mkdtemp(join(tmpdir(), 'snoozebot-interop-'));
  try {
    const run = await spawnGoHost(build.host, LOCAL_PLUGIN, { version: 2, rpcs: 1, env: { TMPDIR: tmp, GOHOST_LOG_LEVEL: 'debug' } });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /Incompatible API version with plugin\. Plugin version: 1, Client versions: \[2\]/);
    assert.doesNotMatch(run.stderr, /Unrecognized remote plugin message/);
    // The plugin's reason, relayed by the host from its hclog line.
    assert.match(
      run.stderr,
      /\[ERROR\] gohost\.local: the host offers no plugin protocol version this plugin speaks; answering with version 1 so the host can report the mismatch/,
    );
    assert.match(run.stderr, /PLUGIN_PROTOCOL_VERSIONS: saw \\?"2\\?", expected one of the plugin's versions \[1\]/);
    const pids = startedPids(run.stderr);
    assert.equal(pids.length, 1, run.stderr);
    for (const pid of pids) await assertPidGone(pid);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('Go host with a port range where nothing is free: one hclog line it relays, no grpc-js line', async (t) => {
  const build = await buildGoInterop();
  if (!goRequired(t, build)) return;
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as AddressInfo).port;
  try {
    const run = await spawnGoHost(build.host, LOCAL_PLUGIN, {
      ports: [port, port],
      rpcs: 1,
      env: { SNOOZEBOT_PLUGIN_NETWORK: 'tcp', GOHOST_LOG_LEVEL: 'debug' },
    });
    assert.equal(run.code, 1, run.stderr);
    const relayed = run.stderr.split('\n').filter((l) => l.includes('gohost.local'));
    assert.equal(relayed.length, 1, `one line of the plugin's, relayed: ${run.stderr}`);
    assert.match(relayed[0] ?? '', /\[ERROR\] gohost\.local: plugin failed to start: /);
    assert.match(relayed[0] ?? '', new RegExp(`no free TCP port on 127\\.0\\.0\\.1 in ${port}\\.\\.${port}; widen the host's port range`));
    assert.doesNotMatch(run.stderr, /No address added|^E /m);
    for (const pid of startedPids(run.stderr)) await assertPidGone(pid);
  } finally {
    blocker.close();
  }
});
