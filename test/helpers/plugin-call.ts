// Assertions on a failed plugin call as our host reports it: HostError
// PLUGIN_CALL with the plugin's gRPC status and a message matching each
// pattern; and that the plugin still serves afterwards.
import assert from 'node:assert/strict';
import { HostError } from '../../src/host/errors.js';
import type { PluginProcess } from '../../src/host/plugin-process.js';

export function pluginCall(grpcCode: string, ...patterns: RegExp[]) {
  return (error: unknown): true => {
    assert.ok(error instanceof HostError, `expected a HostError, got ${String(error)}`);
    assert.equal(error.code, 'PLUGIN_CALL', error.message);
    assert.equal(error.grpcCode, grpcCode, error.message);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  };
}

/** The plugin answers and is healthy after a failure. */
export async function stillServing(plugin: PluginProcess, providerName: string): Promise<void> {
  assert.equal(plugin.state, 'serving');
  await plugin.checkHealth(5_000);
  assert.equal(await plugin.client.providerName(), providerName);
}
