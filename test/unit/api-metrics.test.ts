// The daemon's Prometheus metrics after the calls the daemon makes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics, PLUGIN_STATES, RPC_BUCKETS_SECONDS } from '../../src/daemon/metrics.js';

test('plugin state: 1 for the current state, 0 for every other; up follows serving', async () => {
  const { observePluginState, text } = createMetrics({ defaultMetrics: false });
  observePluginState('aws', 'starting');
  observePluginState('aws', 'serving');
  const out = await text();
  assert.match(out, /^snoozebot_plugin_state\{plugin="aws",state="serving"\} 1$/m);
  assert.match(out, /^snoozebot_plugin_state\{plugin="aws",state="starting"\} 0$/m);
  assert.equal(out.match(/^snoozebot_plugin_state\{plugin="aws",/gm)?.length, PLUGIN_STATES.length);
  assert.match(out, /^snoozebot_plugin_up\{plugin="aws"\} 1$/m);
  observePluginState('aws', 'crashed');
  const after = await text();
  assert.match(after, /^snoozebot_plugin_up\{plugin="aws"\} 0$/m);
  assert.match(after, /^snoozebot_plugin_state\{plugin="aws",state="crashed"\} 1$/m);
  assert.match(after, /^snoozebot_plugin_state\{plugin="aws",state="serving"\} 0$/m);
});

test('restarts counter and RPC histogram with its buckets', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.countRestart('aws');
  m.countRestart('aws');
  m.observeRpc('aws', 'StopInstance', 'ok', 0.003);
  m.observeRpc('aws', 'StopInstance', 'error', 7);
  m.observeRpc('aws', 'StopInstance', 'ok', Number.NaN); // ignored, does not throw
  const out = await m.text();
  assert.match(out, /^snoozebot_plugin_restarts_total\{plugin="aws"\} 2$/m);
  assert.match(out, /^snoozebot_plugin_rpc_duration_seconds_bucket\{le="0\.0025",plugin="aws",method="StopInstance",outcome="ok"\} 0$/m);
  assert.match(out, /^snoozebot_plugin_rpc_duration_seconds_bucket\{le="0\.005",plugin="aws",method="StopInstance",outcome="ok"\} 1$/m);
  assert.match(out, /^snoozebot_plugin_rpc_duration_seconds_bucket\{le="5",plugin="aws",method="StopInstance",outcome="error"\} 0$/m);
  assert.match(out, /^snoozebot_plugin_rpc_duration_seconds_count\{plugin="aws",method="StopInstance",outcome="ok"\} 1$/m);
  assert.match(out, /^snoozebot_plugin_rpc_duration_seconds_sum\{plugin="aws",method="StopInstance",outcome="error"\} 7$/m);
  assert.equal(RPC_BUCKETS_SECONDS[0], 0.0005);
  assert.equal(RPC_BUCKETS_SECONDS.at(-1), 5);
  assert.match(m.contentType, /^text\/plain; version=0\.0\.4/);
});

test('removePlugin drops every series of that plugin and no other', async () => {
  const m = createMetrics({ defaultMetrics: false });
  for (const p of ['aws', 'gcp']) {
    m.observePluginState(p, 'serving');
    m.countRestart(p);
    m.observeRpc(p, 'GetInstanceInfo', 'ok', 0.01);
  }
  m.removePlugin('aws');
  const out = await m.text();
  assert.doesNotMatch(out, /plugin="aws"/);
  assert.match(out, /^snoozebot_plugin_up\{plugin="gcp"\} 1$/m);
  assert.match(out, /^snoozebot_plugin_restarts_total\{plugin="gcp"\} 1$/m);
  assert.match(out, /^snoozebot_plugin_rpc_duration_seconds_count\{plugin="gcp",method="GetInstanceInfo",outcome="ok"\} 1$/m);
});

test('default process metrics are on unless turned off; registries are separate', async () => {
  const withDefaults = createMetrics();
  assert.match(await withDefaults.text(), /^process_cpu_user_seconds_total /m);
  const without = createMetrics({ defaultMetrics: false });
  withDefaults.countRestart('only-here');
  assert.doesNotMatch(await without.text(), /process_cpu_user_seconds_total|only-here/);
});

test('plugin memory is read at scrape time; a plugin without a process has no series', async () => {
  const m = createMetrics({ defaultMetrics: false });
  let plugins = [
    { name: 'aws', memoryBytes: 44_040_192 },
    { name: 'gcp', memoryBytes: null },
  ];
  m.bindPluginMemory(() => plugins);
  const out = await m.text();
  assert.match(out, /^snoozebot_plugin_memory_bytes\{plugin="aws"\} 44040192$/m);
  assert.doesNotMatch(out, /snoozebot_plugin_memory_bytes\{plugin="gcp"\}/);
  plugins = [{ name: 'gcp', memoryBytes: 1024 }];
  const later = await m.text();
  assert.doesNotMatch(later, /snoozebot_plugin_memory_bytes\{plugin="aws"\}/);
  assert.match(later, /^snoozebot_plugin_memory_bytes\{plugin="gcp"\} 1024$/m);
});
