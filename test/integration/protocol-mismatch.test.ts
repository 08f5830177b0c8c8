// Every protocol mismatch says what it is (issue 13), with TypeScript and
// shell fixtures: a newer plugin API, net/rpc, a plugin that ignores the
// cookie and hangs, a start failure logged as hclog JSON; through
// `plugins check` and a real daemon. The Go plugins are in
// test/interop/go-snoozebot-plugins.test.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { DaemonDir, FAST_CONFIG, mergeConfig } from '../helpers/daemon.js';
import { LOCAL_PLUGIN, shFixture, tsFixture } from '../helpers/paths.js';
import { pluginsCheck } from '../helpers/plugins-check.js';

const NEWER_API =
  "plugin API 0.2.0 is not compatible with this snoozebot's API 0.1.0, which loads API 0.0 to 0.1 (same major, minor not above its own); " +
  'upgrade snoozebot, or rebuild the plugin against an older API';

const check = pluginsCheck;

/** Processes whose command line holds `marker` (pgrep exits 1 when there are none). */
function processesWith(marker: string): string {
  try {
    return execFileSync('pgrep', ['-af', marker], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

test('plugins check: a plugin of a newer API fails at its api version step, naming both versions', async () => {
  const { exitCode, diagnosis } = await check(tsFixture('api-version'), [], { FIXTURE_API_VERSION: '0.2.0' });
  assert.equal(exitCode, 1, JSON.stringify(diagnosis, null, 2));
  assert.equal(diagnosis.error?.code, 'PLUGIN_INCOMPATIBLE');
  assert.equal(diagnosis.error?.message, `plugin api-version.js: ${NEWER_API}`);
  const last = diagnosis.steps.at(-1);
  assert.equal(last?.step, 'api version');
  assert.equal(last?.ok, false);
  assert.equal(diagnosis.steps.find((s) => s.step === 'provider')?.ok, true);
});

test('plugins check: the file that ignores its cookie and hangs is killed after 2 s, and every step is bounded', async () => {
  const marker = 'sleep 86413';
  assert.equal(processesWith(marker), '', 'nothing of this fixture runs before the test');
  const { exitCode, diagnosis, ms } = await check(shFixture('ignores-cookie'), ['--timeout', '1500']);
  assert.equal(exitCode, 1, JSON.stringify(diagnosis, null, 2));
  const cookie = diagnosis.steps.find((s) => s.step === 'cookie');
  assert.equal(cookie?.warning, true);
  assert.match(cookie?.detail ?? '', /^without SNOOZEBOT_PLUGIN it kept running past the probe's 2 s and was killed, having printed to stdout; go-plugin plugins print a notice and exit 1/);
  // At the limit, not at the plugin's leisure (a loaded machine may fire the timer a little late).
  assert.ok((cookie?.ms ?? 0) >= 2_000 && (cookie?.ms ?? 0) < 5_000, `the probe took ${cookie?.ms} ms`);
  assert.equal(diagnosis.error?.code, 'PLUGIN_START_TIMEOUT');
  // The file's name, not a placeholder.
  assert.match(
    diagnosis.error?.message ?? '',
    /^plugin ignores-cookie\.sh did not print its handshake within 1500 ms; its stdout said: "hello from a plugin that ignores its cookie"/,
  );
  // 2 s probe + 1.5 s start + the stop sequence, not the plugin's lifetime (a day).
  assert.ok(ms < 15_000, `plugins check took ${Math.round(ms)} ms`);
  // The probe's child held its stdout open; it went with the probe's process group.
  assert.equal(processesWith(marker), '', 'the probe and the start left nothing running');
});

test('the daemon: a newer API and net/rpc fail at once, not as crashes; a start failure logged as JSON is shown as text', async (t) => {
  const dir = await DaemonDir.create(t);
  await dir.addPlugin('local', LOCAL_PLUGIN);
  await dir.addNodeWrapper('newer', tsFixture('api-version'));
  await dir.addPlugin('netrpc', shFixture('netrpc'));
  await dir.addPlugin('badnet', LOCAL_PLUGIN);
  const daemon = await dir.start({
    config: mergeConfig(FAST_CONFIG, {
      plugins: { newer: { env: { FIXTURE_API_VERSION: '0.2.0' } }, badnet: { env: { SNOOZEBOT_PLUGIN_NETWORK: 'bogus' } } },
    }),
  });

  const local = await daemon.waitServing('local');
  assert.equal(local.apiVersion, '0.1.0');
  assert.equal(local.api, '0.1.0');
  assert.equal(local.tls, false);

  const newer = await daemon.waitForPlugin('newer', (p) => p.state === 'failed', { what: 'failed' });
  assert.equal(newer.lastError, `plugin newer: ${NEWER_API}`);
  assert.equal(newer.reason, `cannot load: plugin newer: ${NEWER_API} (not retried: every start would fail the same way; fix the plugin, then load it again or replace its file)`);
  assert.equal(newer.restarts, 0);
  assert.equal(newer.recentCrashes, 0);
  assert.deepEqual((await daemon.waitForTransition('newer', 'failed')).map((tr) => tr.to), ['starting', 'failed']);

  const netrpc = await daemon.waitForPlugin('netrpc', (p) => p.state === 'failed', { what: 'failed' });
  assert.match(netrpc.lastError ?? '', /^plugin netrpc sent a bad handshake: protocol: saw "netrpc", expected "grpc"\. net\/rpc plugins are not supported; serve the plugin with gRPC$/);
  assert.equal(netrpc.restarts, 0);
  assert.deepEqual((await daemon.waitForTransition('netrpc', 'failed')).map((tr) => tr.to), ['starting', 'failed']);
  assert.ok(!daemon.logs.some((l) => (l.plugin === 'newer' || l.plugin === 'netrpc') && l.to === 'crashed'), 'no crash');

  // A plugin that dies at start logging hclog JSON: a crash (it is retried), its line shown as text.
  const badnet = await daemon.waitForPlugin('badnet', (p) => p.state === 'failed', { what: 'failed after its crashes' });
  assert.match(badnet.reason, /^crashed 4 times within 60 s; last: failed to start: plugin badnet exited with code 1 before its handshake/);
  assert.match(badnet.lastError ?? '', /: \[ERROR\] plugin failed to start: error="SNOOZEBOT_PLUGIN_NETWORK: saw \\"bogus\\", expected \\"unix\\" or \\"tcp\\""/);
  assert.doesNotMatch(badnet.lastError ?? '', /"@level"|\{"/);

  // instance start takes --yes like stop, and like stop refuses without a terminal or --yes.
  const refused = await daemon.cli('instance', 'start', '--plugin', 'local');
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /refusing to start the instance without confirmation: stdin is not a terminal; pass --yes to start it/);
  const started = await daemon.cli('instance', 'start', '--plugin', 'local', '--yes');
  assert.equal(started.code, 0, started.stderr);
  // The daemon is in dry run: the daemon itself sends nothing, and says so.
  assert.match(started.stdout, /^dry run: would start the instance through plugin local; nothing was sent to it$/m);
});
