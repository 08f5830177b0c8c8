// Go toolchain self-check: go-plugin's own host (gohost) against go-plugin's
// own server (goplugin). Proves the Go interop binaries work before they are
// used against snoozebot's TypeScript host/plugins.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goRequired, runGoHost, type GoHostInstance, type GoHostReport } from '../helpers/go.js';
import { buildGoInterop } from './go-build.js';

const RPCS = 5;

const fixtureInstance = (state: string): GoHostInstance => ({
  id: 'i-0go0fixture',
  name: 'go-fixture',
  type: 'fixture.small',
  region: 'local-1',
  zone: 'local-1a',
  state,
  launchTime: '2024-01-02T03:04:05Z',
});

function assertCycles(report: GoHostReport, count: number): void {
  assert.equal(report.cycles.length, count);
  for (const c of report.cycles) {
    assert.ok(c.startToFirstRpcNs > 0, 'startToFirstRpcNs > 0');
    assert.equal(c.rpcNs.length, RPCS);
    for (const ns of c.rpcNs) assert.ok(ns > 0, 'rpc latency > 0');
    assert.equal(c.exited, true, 'plugin exited gracefully');
    assert.equal(c.exitCode, 0);
    assert.equal(c.killedWithinGrace, true);
    assert.ok(c.killNs < 2e9, `killNs ${c.killNs} < 2e9`);
  }
}

test('Go host ↔ Go plugin (go-plugin 1.0.1 on both sides)', async (t) => {
  const build = await buildGoInterop();
  if (!goRequired(t, build)) return;

  for (const mtls of [false, true]) {
    await t.test(mtls ? 'AutoMTLS' : 'plaintext', async () => {
      const report = await runGoHost(build.host, build.plugin, { mtls, rpcs: RPCS });
      assert.equal(report.negotiatedVersion, 1);
      assert.equal(report.protocol, 'grpc');
      assert.equal(report.mtls, mtls);
      assert.deepEqual(report.results, {
        apiVersion: '1',
        // The plain "1" is no version to the Go snoozebot's check; snoozebot's host takes it (earlier builds).
        apiCheck: 'error: failed to parse plugin version: invalid version format: 1',
        providerName: 'go-fixture',
        providerVersion: '1.0.0',
        instance: fixtureInstance('running'),
        instances: [fixtureInstance('running')],
        stop: { success: true, errorMessage: '' },
        start: { success: true, errorMessage: '' },
        stateAfterStop: 'stopped',
        stateAfterStart: 'running',
        errors: {},
      });
      assertCycles(report, 1);
    });
  }

  await t.test('GO_FIXTURE_FAIL_STOP=1, two cycles', async () => {
    const report = await runGoHost(build.host, build.plugin, {
      rpcs: RPCS,
      repeat: 2,
      env: { GO_FIXTURE_FAIL_STOP: '1' },
    });
    assert.deepEqual(report.results.stop, { success: false, errorMessage: 'stop refused by fixture' });
    assert.equal(report.results.stateAfterStop, 'running');
    assert.equal(report.results.stateAfterStart, 'running');
    assertCycles(report, 2);
  });
});
