import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_PLUGIN_SETTINGS,
  isPluginEnabled,
  parseConfig,
  pluginSettings,
  resolveConfig,
} from '../../src/daemon/config/index.js';
import type { DaemonConfig } from '../../src/daemon/config/index.js';

function config(text: string): DaemonConfig {
  return resolveConfig(parseConfig(text, 'config.json'), '/etc/snoozebot/config.json');
}

describe('pluginSettings', () => {
  it('gives the documented defaults (docs/architecture.md) to a plugin with no config', () => {
    const settings = pluginSettings(config('{}'), 'aws');
    assert.deepEqual(settings, {
      enabled: undefined,
      env: {},
      sha256: undefined,
      start: 'boot',
      autoMtls: false,
      startTimeoutMs: 10_000,
      callTimeoutMs: 30_000,
      restart: { initialBackoffMs: 100, maxBackoffMs: 30_000, jitter: 0.2, maxCrashes: 5, crashWindowMs: 60_000, resetAfterMs: 60_000 },
      health: { intervalMs: 5_000, timeoutMs: 1_000, misses: 3 },
      stop: { controllerMs: 2_000, termMs: 2_000 },
    });
  });

  it('start: boot by default, lazy from the defaults section or the plugin, the plugin winning', () => {
    assert.equal(pluginSettings(config('{"defaults": {"start": "lazy"}}'), 'aws').start, 'lazy');
    assert.equal(pluginSettings(config('{"defaults": {"start": "lazy"}, "plugins": {"aws": {"start": "boot"}}}'), 'aws').start, 'boot');
  });

  it('merges built-in ⊕ defaults section ⊕ plugin section key by key', () => {
    const cfg = config(`{
      "defaults": {
        "callTimeoutMs": 45000,
        "restart": { "maxCrashes": 3, "crashWindowMs": 120000 },
        "health": { "misses": 4 }
      },
      "plugins": {
        "aws": {
          "env": { "AWS_REGION": "eu-west-1" },
          "restart": { "maxCrashes": 10 },
          "stop": { "termMs": 5000 }
        }
      }
    }`);
    const aws = pluginSettings(cfg, 'aws');
    assert.equal(aws.callTimeoutMs, 45_000, 'from the defaults section');
    assert.equal(aws.startTimeoutMs, 10_000, 'built-in');
    assert.deepEqual(aws.restart, {
      ...DEFAULT_PLUGIN_SETTINGS.restart,
      maxCrashes: 10,
      crashWindowMs: 120_000,
    });
    assert.deepEqual(aws.health, { intervalMs: 5_000, timeoutMs: 1_000, misses: 4 });
    assert.deepEqual(aws.stop, { controllerMs: 2_000, termMs: 5_000 });
    assert.deepEqual(aws.env, { AWS_REGION: 'eu-west-1' });

    const other = pluginSettings(cfg, 'gcp');
    assert.equal(other.restart.maxCrashes, 3, 'a plugin without a section gets the defaults section');
    assert.deepEqual(other.env, {});
  });

  it('lets a plugin turn off what the defaults section turned on', () => {
    const cfg = config('{ "defaults": { "autoMtls": true }, "plugins": { "old": { "autoMtls": false } } }');
    assert.equal(pluginSettings(cfg, 'old').autoMtls, false);
    assert.equal(pluginSettings(cfg, 'new').autoMtls, true);
  });

  it('does not share objects between calls or with the built-in defaults', () => {
    const cfg = config('{ "plugins": { "aws": { "env": { "A": "1" } } } }');
    const first = pluginSettings(cfg, 'aws');
    (first.env as Record<string, string>).A = 'changed';
    (first.restart as { maxCrashes: number }).maxCrashes = 99;
    assert.equal(pluginSettings(cfg, 'aws').env.A, '1');
    assert.equal(DEFAULT_PLUGIN_SETTINGS.restart.maxCrashes, 5);
  });

  it('does not mistake Object.prototype members for plugin sections', () => {
    const cfg = config('{}');
    assert.equal(pluginSettings(cfg, 'constructor').enabled, undefined);
    assert.equal(pluginSettings(cfg, 'toString').restart.maxCrashes, 5);
  });
});

describe('isPluginEnabled', () => {
  const text = (autoload: boolean): string =>
    `{ "autoload": ${autoload}, "plugins": { "on": { "enabled": true }, "off": { "enabled": false }, "plain": {} } }`;

  it('with autoload true, loads everything not turned off', () => {
    const cfg = config(text(true));
    assert.equal(isPluginEnabled(cfg, 'on'), true);
    assert.equal(isPluginEnabled(cfg, 'off'), false);
    assert.equal(isPluginEnabled(cfg, 'plain'), true);
    assert.equal(isPluginEnabled(cfg, 'unlisted'), true);
  });

  it('with autoload false, loads only plugins with enabled: true', () => {
    const cfg = config(text(false));
    assert.equal(isPluginEnabled(cfg, 'on'), true);
    assert.equal(isPluginEnabled(cfg, 'off'), false);
    assert.equal(isPluginEnabled(cfg, 'plain'), false);
    assert.equal(isPluginEnabled(cfg, 'unlisted'), false);
  });

  it('autoload defaults to true', () => {
    assert.equal(config('{}').autoload, true);
    assert.equal(isPluginEnabled(config('{}'), 'anything'), true);
  });
});
