import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_DAEMON_SETTINGS, envOverrides, loadConfig } from '../../src/daemon/config/index.js';
import type { DaemonConfig, LoadConfigOptions } from '../../src/daemon/config/index.js';
import { REPO_ROOT } from '../helpers/paths.js';

let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'snoozebot-config-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function loadError(options: LoadConfigOptions): Promise<ConfigError> {
  try {
    await loadConfig(options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('loadConfig accepted an invalid configuration');
}

const FULL = join(REPO_ROOT, 'test/fixtures/config/full.json');

describe('loadConfig: file', () => {
  it('gives the defaults when the default file is absent', async () => {
    // The default path is /etc/snoozebot/config.json; required: false with a missing path behaves the same.
    const config = await loadConfig({ path: join(dir, 'absent.json'), required: false, env: {}, flags: {} });
    const expected: DaemonConfig = { ...DEFAULT_DAEMON_SETTINGS, defaults: {}, plugins: {}, configPath: null };
    assert.deepEqual(config, expected);
    assert.equal(config.pluginsDir, '/etc/snoozebot/plugins');
    assert.equal(config.socket, '/run/snoozebot/snoozebot.sock');
    assert.equal(config.stateDir, '/var/lib/snoozebot');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.dryRun, false);
    assert.equal(config.defaultProvider, null);
    assert.equal(config.socketGroup, null);
    assert.equal(config.maxConnections, 256);
  });

  it('reads socketGroup (a name or a gid) and maxConnections, and refuses bad ones', async () => {
    const byName = await loadConfig({ path: await writeConfig('group.json', '{ "socketGroup": "snoozebot", "maxConnections": 64 }'), env: {}, flags: {} });
    assert.equal(byName.socketGroup, 'snoozebot');
    assert.equal(byName.maxConnections, 64);
    const byGid = await loadConfig({ path: await writeConfig('gid.json', '{ "socketGroup": 998 }'), env: {}, flags: {} });
    assert.equal(byGid.socketGroup, 998);
    const badGroup = await loadError({ path: await writeConfig('badgroup.json', '{ "socketGroup": "no spaces" }'), env: {}, flags: {} });
    assert.match(badGroup.message, /socketGroup: expected a group name \(e\.g\. "snoozebot"\) or a gid, or null for the daemon's own group, saw "no spaces"/);
    const badMax = await loadError({ path: await writeConfig('badmax.json', '{ "maxConnections": 0 }'), env: {}, flags: {} });
    assert.match(badMax.message, /maxConnections: expected a whole number from 1 to 65536, saw 0/);
  });

  it('refuses a missing file given explicitly, naming it', async () => {
    const missing = join(dir, 'nope', 'config.json');
    const error = await loadError({ path: missing, env: {}, flags: {} });
    assert.equal(error.issues.length, 1);
    assert.equal(error.issues[0]?.path, '--config');
    assert.equal(error.issues[0]?.line, 0);
    assert.ok(error.message.includes(`${missing} does not exist`), error.message);
  });

  it('refuses a directory given as the file', async () => {
    const sub = join(dir, 'a-directory');
    await mkdir(sub);
    const error = await loadError({ path: sub, env: {}, flags: {} });
    assert.match(error.message, /is a directory/);
  });

  it('reads the full fixture and records where it came from', async () => {
    const config = await loadConfig({ path: FULL, env: {}, flags: {} });
    assert.equal(config.configPath, FULL);
    assert.equal(config.pluginsDir, '/opt/snoozebot/plugins');
    assert.equal(config.autoload, false);
    assert.equal(config.defaultProvider, 'aws');
    assert.equal(config.plugins.aws?.restart?.maxCrashes, 10);
  });

  it('reports file problems with the path as given', async () => {
    const path = await writeConfig('bad.json', '{\n  "socket": 42\n}\n');
    const error = await loadError({ path, env: {}, flags: {} });
    assert.match(error.message, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:13: socket: expected an absolute path, saw 42$`, 'm'));
  });
});

describe('loadConfig: environment and flags', () => {
  it('applies SNOOZEBOT_* variables over the file', async () => {
    const config = await loadConfig({
      path: FULL,
      env: {
        SNOOZEBOT_PLUGINS_DIR: '/env/plugins',
        SNOOZEBOT_SOCKET: '/env/sock',
        SNOOZEBOT_STATE_DIR: '/env/state',
        SNOOZEBOT_LOG_LEVEL: 'WARN',
        SNOOZEBOT_DRY_RUN: 'no',
        SNOOZEBOT_DEFAULT_PROVIDER: 'gcp',
        UNRELATED: 'x',
      },
      flags: {},
    });
    assert.equal(config.pluginsDir, '/env/plugins');
    assert.equal(config.socket, '/env/sock');
    assert.equal(config.stateDir, '/env/state');
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.dryRun, false);
    assert.equal(config.defaultProvider, 'gcp');
  });

  it('lets flags win over the environment and the file', async () => {
    const config = await loadConfig({
      path: FULL,
      env: { SNOOZEBOT_SOCKET: '/env/sock', SNOOZEBOT_LOG_LEVEL: 'error', SNOOZEBOT_DRY_RUN: '0' },
      flags: { socket: '/flag/sock', logLevel: 'trace', dryRun: true },
    });
    assert.equal(config.socket, '/flag/sock');
    assert.equal(config.logLevel, 'trace');
    assert.equal(config.dryRun, true);
    assert.equal(config.stateDir, '/srv/snoozebot', 'untouched keys keep the file value');
  });

  it('leaves the environment in force for flags that were not given', async () => {
    const config = await loadConfig({
      path: FULL,
      env: { SNOOZEBOT_STATE_DIR: '/env/state' },
      flags: { stateDir: undefined, dryRun: undefined },
    });
    assert.equal(config.stateDir, '/env/state');
    assert.equal(config.dryRun, true, 'from the file');
  });

  it('resolves relative paths from the environment and flags against cwd', async () => {
    const config = await loadConfig({
      path: join(dir, 'absent.json'),
      required: false,
      env: { SNOOZEBOT_STATE_DIR: 'state' },
      flags: { pluginsDir: './plugins' },
      cwd: '/home/op',
    });
    assert.equal(config.stateDir, '/home/op/state');
    assert.equal(config.pluginsDir, '/home/op/plugins');
  });

  it('accepts true/false/1/0/yes/no for SNOOZEBOT_DRY_RUN', () => {
    const values: Record<string, boolean> = { true: true, FALSE: false, '1': true, '0': false, Yes: true, no: false };
    for (const [text, value] of Object.entries(values)) {
      assert.equal(envOverrides({ SNOOZEBOT_DRY_RUN: text }, '/').overrides.dryRun, value, text);
    }
  });

  it('refuses any other SNOOZEBOT_DRY_RUN, naming the variable', async () => {
    const error = await loadError({ path: FULL, env: { SNOOZEBOT_DRY_RUN: 'maybe' }, flags: {} });
    assert.deepEqual(error.issues, [
      { path: 'SNOOZEBOT_DRY_RUN', line: 0, column: 0, message: 'expected true, false, 1, 0, yes or no, saw "maybe"' },
    ]);
    assert.match(error.message, /^SNOOZEBOT_DRY_RUN: expected true, false, 1, 0, yes or no, saw "maybe"$/m);
  });

  it('refuses a bad log level from the environment or a flag', async () => {
    const error = await loadError({
      path: FULL,
      env: { SNOOZEBOT_LOG_LEVEL: 'verbose' },
      flags: { logLevel: 'loud' },
    });
    assert.deepEqual(
      error.issues.map((issue) => issue.path),
      ['SNOOZEBOT_LOG_LEVEL', '--log-level'],
    );
  });

  it('clears the default provider with an empty SNOOZEBOT_DEFAULT_PROVIDER and refuses a bad name', async () => {
    const cleared = await loadConfig({ path: FULL, env: { SNOOZEBOT_DEFAULT_PROVIDER: '' }, flags: {} });
    assert.equal(cleared.defaultProvider, null);
    const error = await loadError({ path: FULL, env: { SNOOZEBOT_DEFAULT_PROVIDER: '../x' }, flags: {} });
    assert.equal(error.issues[0]?.path, 'SNOOZEBOT_DEFAULT_PROVIDER');
  });

  it('refuses empty paths', async () => {
    const error = await loadError({ path: FULL, env: { SNOOZEBOT_SOCKET: '' }, flags: { pluginsDir: '' } });
    assert.deepEqual(
      error.issues.map((issue) => issue.path),
      ['SNOOZEBOT_SOCKET', '--plugins-dir'],
    );
  });

  it('reports file, environment and flag problems together', async () => {
    const path = await writeConfig('several.json', '{\n  "dryRun": "on",\n  "socktet": "/x"\n}');
    const error = await loadError({ path, env: { SNOOZEBOT_DRY_RUN: 'on' }, flags: { logLevel: 'x' } });
    assert.deepEqual(
      error.issues.map((issue) => `${issue.line} ${issue.path}`),
      ['2 dryRun', '3 socktet', '0 SNOOZEBOT_DRY_RUN', '0 --log-level'],
    );
    assert.match(error.message, /socktet: unknown key "socktet"; did you mean "socket"\?/);
    assert.equal(error.message.split('\n').length, 5);
  });
});
