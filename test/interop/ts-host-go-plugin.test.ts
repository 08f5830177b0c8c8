// Our host (src/host) loading a plugin served by go-plugin's own plugin.Serve:
// all seven calls with AutoMTLS off and on, a success=false answer, and a stop
// that leaves no process and no socket directory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { PluginProcess } from '../../src/host/plugin-process.js';
import { HostError } from '../../src/host/errors.js';
import { goRequired } from '../helpers/go.js';
import { assertGroupGone, makeSocketParent } from '../helpers/leftovers.js';
import { buildGoInterop } from './go-build.js';

const logger = pino({ level: 'silent' });

test('TypeScript host loads a go-plugin Go plugin', async (t) => {
  const build = await buildGoInterop();
  if (!goRequired(t, build)) return;

  for (const autoMtls of [false, true]) {
    await t.test(autoMtls ? 'AutoMTLS' : 'plaintext', async () => {
      const sockets = await makeSocketParent();
      const plugin = new PluginProcess({ path: build.plugin, logger, autoMtls, socketParentDir: sockets.dir });
      try {
        await plugin.start();
        assert.equal(plugin.handshake?.appVersion, 1);
        assert.equal(plugin.handshake?.network, 'unix');
        assert.equal(plugin.handshake?.serverCert !== undefined, autoMtls);
        const client = plugin.client;
        assert.equal(await client.apiVersion(), '1');
        assert.equal(await client.providerName(), 'go-fixture');
        assert.equal(await client.providerVersion(), '1.0.0');
        const expected = {
          id: 'i-0go0fixture',
          name: 'go-fixture',
          type: 'fixture.small',
          region: 'local-1',
          zone: 'local-1a',
          state: 'running',
          launchTime: '2024-01-02T03:04:05.000Z',
        };
        assert.deepEqual(await client.instanceInfo(), expected);
        assert.deepEqual(await client.listInstances(), [expected]);
        await client.stopInstance();
        assert.equal((await client.instanceInfo()).state, 'stopped');
        await client.startInstance();
        assert.equal((await client.instanceInfo()).state, 'running');
      } finally {
        await plugin.stop();
      }
      const pid = plugin.pid;
      assert.ok(pid !== undefined);
      // The Go plugin leaves on GRPCController.Shutdown: a clean exit, no signal.
      assert.deepEqual(plugin.exitInfo, { code: 0, signal: null, expected: true });
      await assertGroupGone(pid);
      await sockets.assertEmpty();
      await sockets.cleanup();
    });
  }

  await t.test('success=false from the plugin becomes PLUGIN_OPERATION_FAILED', async () => {
    const plugin = new PluginProcess({ path: build.plugin, logger, env: { GO_FIXTURE_FAIL_STOP: '1' } });
    try {
      await plugin.start();
      await assert.rejects(plugin.client.stopInstance(), (error: unknown) => {
        assert.ok(error instanceof HostError);
        assert.equal(error.code, 'PLUGIN_OPERATION_FAILED');
        assert.match(error.message, /StopInstance refused: stop refused by fixture/);
        return true;
      });
    } finally {
      await plugin.stop();
    }
  });
});
