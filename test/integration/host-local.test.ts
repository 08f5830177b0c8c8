// PluginProcess with the bundled local plugin: every CloudProvider call over
// plain gRPC, AutoMTLS and TCP, a graceful stop through GRPCController, and
// the local plugin's own failure answers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import pino from 'pino';
import { HostError } from '../../src/host/errors.js';
import type { HostErrorCode } from '../../src/host/errors.js';
import type { PluginProcessOptions } from '../../src/host/options.js';
import { PluginProcess } from '../../src/host/plugin-process.js';
import type { InstanceRecord } from '../../src/host/cloud-provider-client.js';
import { VERSION } from '../../src/version.js';
import { assertGroupGone, makeSocketParent } from '../helpers/leftovers.js';
import type { SocketParent } from '../helpers/leftovers.js';
import { LOCAL_PLUGIN } from '../helpers/paths.js';

async function localPlugin(
  t: TestContext,
  options: Partial<Omit<PluginProcessOptions, 'logger' | 'socketParentDir'>> = {},
): Promise<{ plugin: PluginProcess; sockets: SocketParent }> {
  const sockets = await makeSocketParent();
  const plugin = new PluginProcess({ path: LOCAL_PLUGIN, ...options, socketParentDir: sockets.dir, logger: pino({ level: 'silent' }) });
  t.after(async () => {
    await plugin.stop();
    await sockets.cleanup();
  });
  await plugin.start();
  assert.equal(plugin.state, 'serving');
  return { plugin, sockets };
}

/** After stop(): exited 0 through the controller, no process of its group, no socket directory. */
async function assertGracefulStop(plugin: PluginProcess, sockets: SocketParent): Promise<void> {
  const pgid = plugin.pid;
  assert.ok(pgid !== undefined);
  await plugin.stop();
  assert.equal(plugin.state, 'exited');
  assert.equal(plugin.exitInfo?.code, 0);
  assert.equal(plugin.exitInfo?.signal, null);
  assert.equal(plugin.exitInfo?.expected, true);
  await assertGroupGone(pgid);
  await sockets.assertEmpty();
}

function assertInstance(info: InstanceRecord, state: string): void {
  assert.equal(info.state, state);
  assert.equal(info.region, 'local');
  assert.equal(info.zone, 'local');
  assert.ok(info.id.length > 0, 'instance id is set');
  assert.ok(info.name.length > 0, 'instance name (hostname) is set');
}

function hostError(code: HostErrorCode, message: RegExp, grpcCode?: string) {
  return (error: unknown): true => {
    assert.ok(error instanceof HostError, `expected a HostError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    if (grpcCode !== undefined) assert.equal(error.grpcCode, grpcCode);
    return true;
  };
}

const PORT_RANGE: [number, number] = [43_100, 43_199];

const variants: { name: string; options: Partial<PluginProcessOptions>; network: 'unix' | 'tcp'; tls: boolean }[] = [
  { name: 'unix socket, plain gRPC', options: { autoMtls: false }, network: 'unix', tls: false },
  { name: 'unix socket, AutoMTLS', options: { autoMtls: true }, network: 'unix', tls: true },
  {
    name: 'TCP within the port range',
    options: { env: { SNOOZEBOT_PLUGIN_NETWORK: 'tcp' }, portRange: PORT_RANGE },
    network: 'tcp',
    tls: false,
  },
];

describe('local plugin: all seven calls', () => {
  for (const variant of variants) {
    test(variant.name, async (t) => {
      const { plugin, sockets } = await localPlugin(t, variant.options);
      const handshake = plugin.handshake;
      assert.ok(handshake !== undefined);
      assert.equal(handshake.network, variant.network);
      assert.equal(handshake.serverCert !== undefined, variant.tls, 'the plugin sent a certificate iff AutoMTLS is on');
      if (variant.network === 'tcp') {
        const match = /^127\.0\.0\.1:(\d+)$/.exec(handshake.address);
        assert.ok(match?.[1] !== undefined, `address ${handshake.address}`);
        const port = Number(match[1]);
        assert.ok(port >= PORT_RANGE[0] && port <= PORT_RANGE[1], `port ${port} in ${PORT_RANGE.join('..')}`);
      } else {
        assert.ok(handshake.address.startsWith(sockets.dir), `socket ${handshake.address} under ${sockets.dir}`);
      }
      assert.ok(plugin.timings !== undefined, 'start timings are recorded');

      const client = plugin.client;
      assert.equal(await client.apiVersion(), '0.1.0');
      assert.equal(await client.providerName(), 'local');
      assert.equal(await client.providerVersion(), VERSION);
      const info = await client.instanceInfo();
      assertInstance(info, 'running');
      assert.deepEqual(await client.listInstances(), [info]);
      await client.stopInstance();
      assertInstance(await client.instanceInfo(), 'stopped');
      await client.startInstance();
      assertInstance(await client.instanceInfo(), 'running');

      await assertGracefulStop(plugin, sockets);
    });
  }
});

describe('local plugin with a stop command', () => {
  test('a failing command: PLUGIN_CALL INTERNAL naming the command', async (t) => {
    const { plugin, sockets } = await localPlugin(t, { env: { SNOOZEBOT_LOCAL_STOP_COMMAND: 'exit 7' } });
    await assert.rejects(plugin.client.stopInstance(), hostError('PLUGIN_CALL', /stop command "exit 7" failed/, 'INTERNAL'));
    assertInstance(await plugin.client.instanceInfo(), 'running');
    await assertGracefulStop(plugin, sockets);
  });

  test('a succeeding command: state stopping; it cannot start itself', async (t) => {
    const { plugin, sockets } = await localPlugin(t, { env: { SNOOZEBOT_LOCAL_STOP_COMMAND: 'true' } });
    await plugin.client.stopInstance();
    assertInstance(await plugin.client.instanceInfo(), 'stopping');
    await assert.rejects(plugin.client.startInstance(), hostError('PLUGIN_OPERATION_FAILED', /cannot start itself/));
    assertInstance(await plugin.client.instanceInfo(), 'stopping');
    await assertGracefulStop(plugin, sockets);
  });
});
