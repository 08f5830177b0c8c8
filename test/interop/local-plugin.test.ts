// dist/plugins/local under go-plugin's own host (Go, go-plugin 1.0.1): all
// seven CloudProvider calls, with AutoMTLS off and on, and Kill() returning
// through the controller path (a graceful exit 0, not go-plugin's forced kill
// after 2 s). The plugin's socket directory must be gone afterwards.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { goRequired, runGoHost } from '../helpers/go.js';
import { LOCAL_PLUGIN } from '../helpers/paths.js';
import { buildGoInterop } from './go-build.js';

async function expectedIdentity(): Promise<{ id: string; launchTime: string }> {
  const machineId = (await readFile('/etc/machine-id', 'utf8').catch(() => '')).trim();
  const btime = /^btime\s+(\d+)$/m.exec(await readFile('/proc/stat', 'utf8'))?.[1];
  assert.ok(btime, '/proc/stat has a btime line');
  return { id: machineId || hostname(), launchTime: new Date(Number(btime) * 1000).toISOString().replace('.000Z', 'Z') };
}

test('go-plugin host loads dist/plugins/local', async (t) => {
  const build = await buildGoInterop();
  if (!goRequired(t, build)) return;
  const identity = await expectedIdentity();

  for (const mtls of [false, true]) {
    await t.test(mtls ? 'AutoMTLS' : 'plaintext', async () => {
      const tmp = await mkdtemp(join(tmpdir(), 'snoozebot-interop-'));
      try {
        const report = await runGoHost(build.host, LOCAL_PLUGIN, { mtls, rpcs: 5, repeat: 2, env: { ...process.env, TMPDIR: tmp } });
        assert.equal(report.negotiatedVersion, 1);
        assert.equal(report.protocol, 'grpc');
        assert.equal(report.mtls, mtls);
        const { results } = report;
        assert.equal(results.apiVersion, '0.1.0');
        // What the Go snoozebot's own version.IsCompatible makes of our answer.
        assert.equal(results.apiCheck, 'compatible');
        assert.deepEqual(results.errors, {});
        assert.equal(results.providerName, 'local');
        assert.match(results.providerVersion, /^\d+\.\d+\.\d+/);
        assert.ok(results.instance, 'GetInstanceInfo answered an instance');
        assert.equal(results.instance.id, identity.id);
        assert.equal(results.instance.name, hostname());
        assert.equal(results.instance.region, 'local');
        assert.equal(results.instance.zone, 'local');
        assert.equal(results.instance.state, 'running');
        assert.equal(results.instance.launchTime, identity.launchTime);
        assert.deepEqual(results.instances, [results.instance]);
        // Dry run (no SNOOZEBOT_LOCAL_STOP_COMMAND): stop and start only flip the state.
        assert.deepEqual(results.stop, { success: true, errorMessage: '' });
        assert.equal(results.stateAfterStop, 'stopped');
        assert.deepEqual(results.start, { success: true, errorMessage: '' });
        assert.equal(results.stateAfterStart, 'running');
        for (const cycle of report.cycles) {
          assert.equal(cycle.rpcNs.length, 5);
          // exited=true with code 0: the plugin left on GRPCController.Shutdown, not by go-plugin's kill.
          assert.equal(cycle.exited, true);
          assert.equal(cycle.exitCode, 0);
          assert.equal(cycle.killedWithinGrace, true);
        }
        assert.deepEqual(await readdir(tmp), [], 'the plugin removed its socket directory');
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    });
  }
});
