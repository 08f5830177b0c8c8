// A bundled cloud plugin (dist/plugins/<name>) started by our host with
// exactly the environment a test gives it, plus PATH and the protocol
// variables: nothing of this machine's own cloud setup leaks in.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import pino from 'pino';
import type { PluginProcessOptions } from '../../src/host/options.js';
import { PluginProcess } from '../../src/host/plugin-process.js';
import { makeSocketParent } from './leftovers.js';

export type StartOptions = Partial<Omit<PluginProcessOptions, 'path' | 'env' | 'logger'>>;

export async function startBundledPlugin(t: TestContext, path: string, env: Record<string, string>, options: StartOptions = {}): Promise<PluginProcess> {
  const sockets = await makeSocketParent();
  const plugin = new PluginProcess({ path, env, inheritEnv: false, socketParentDir: sockets.dir, logger: pino({ level: 'silent' }), ...options });
  t.after(async () => {
    await plugin.stop();
    await sockets.cleanup();
  });
  await plugin.start();
  assert.equal(plugin.state, 'serving');
  return plugin;
}

/** The layers merged, later ones winning; a key set to undefined is left out. */
export function pluginEnv(...layers: readonly Readonly<Record<string, string | undefined>>[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(Object.assign({}, ...layers) as Record<string, string | undefined>)) {
    if (value !== undefined) env[key] = value;
  }
  return env;
}
