import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pluginEnvironment } from '../../src/host/environment.js';
import type { PluginEnvironmentInput } from '../../src/host/environment.js';

function input(overrides: Partial<PluginEnvironmentInput> = {}): PluginEnvironmentInput {
  return {
    hostEnv: { PATH: '/usr/bin:/bin', HOME: '/home/op', UNSET: undefined },
    inheritEnv: true,
    extra: {},
    appVersions: [1],
    portRange: [10000, 25000],
    socketDir: '/run/snoozebot',
    clientCertPem: undefined,
    ...overrides,
  };
}

describe('pluginEnvironment', () => {
  it('sets the cookie, versions, ports and socket dir', () => {
    const env = pluginEnvironment(input({ appVersions: [1, 2, 3] }));
    assert.equal(env.SNOOZEBOT_PLUGIN, 'snoozebot_plugin_v1');
    assert.equal(env.PLUGIN_PROTOCOL_VERSIONS, '1,2,3');
    assert.equal(env.PLUGIN_MIN_PORT, '10000');
    assert.equal(env.PLUGIN_MAX_PORT, '25000');
    assert.equal(env.PLUGIN_UNIX_SOCKET_DIR, '/run/snoozebot');
    assert.equal('PLUGIN_CLIENT_CERT' in env, false);
  });

  it('inherits the host environment, skipping undefined values', () => {
    const env = pluginEnvironment(input());
    assert.equal(env.PATH, '/usr/bin:/bin');
    assert.equal(env.HOME, '/home/op');
    assert.equal('UNSET' in env, false);
  });

  it('passes the client certificate only when given', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    assert.equal(pluginEnvironment(input({ clientCertPem: pem })).PLUGIN_CLIENT_CERT, pem);
  });

  it('removes an inherited PLUGIN_CLIENT_CERT when no certificate is given', () => {
    const env = pluginEnvironment(input({ hostEnv: { PATH: '/bin', PLUGIN_CLIENT_CERT: 'stale' } }));
    assert.equal('PLUGIN_CLIENT_CERT' in env, false);
  });

  it('adds extra variables, but protocol variables override them', () => {
    const env = pluginEnvironment(
      input({
        extra: {
          AWS_REGION: 'eu-west-1',
          SNOOZEBOT_PLUGIN: 'forged',
          PLUGIN_PROTOCOL_VERSIONS: '99',
          PLUGIN_MIN_PORT: '1',
          PLUGIN_MAX_PORT: '2',
          PLUGIN_UNIX_SOCKET_DIR: '/elsewhere',
          HOME: '/override',
        },
      }),
    );
    assert.equal(env.AWS_REGION, 'eu-west-1');
    assert.equal(env.HOME, '/override', 'extra overrides the inherited environment');
    assert.equal(env.SNOOZEBOT_PLUGIN, 'snoozebot_plugin_v1');
    assert.equal(env.PLUGIN_PROTOCOL_VERSIONS, '1');
    assert.equal(env.PLUGIN_MIN_PORT, '10000');
    assert.equal(env.PLUGIN_MAX_PORT, '25000');
    assert.equal(env.PLUGIN_UNIX_SOCKET_DIR, '/run/snoozebot');
  });

  it('with inheritEnv false keeps only PATH from the host', () => {
    const env = pluginEnvironment(
      input({ inheritEnv: false, hostEnv: { PATH: '/bin', HOME: '/home/op', SECRET: 's', PLUGIN_CLIENT_CERT: 'x' } }),
    );
    assert.deepEqual(Object.keys(env).sort(), [
      'PATH',
      'PLUGIN_MAX_PORT',
      'PLUGIN_MIN_PORT',
      'PLUGIN_PROTOCOL_VERSIONS',
      'PLUGIN_UNIX_SOCKET_DIR',
      'SNOOZEBOT_PLUGIN',
      'TMPDIR',
    ]);
    assert.equal(env.PATH, '/bin');
  });

  it('with inheritEnv false and no host PATH sets no PATH', () => {
    const env = pluginEnvironment(input({ inheritEnv: false, hostEnv: { HOME: '/home/op' } }));
    assert.equal('PATH' in env, false);
    assert.equal('HOME' in env, false);
  });
});
