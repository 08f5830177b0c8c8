import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkCookie,
  ENV,
  isHandshakeError,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  NOT_A_PLUGIN_MESSAGE,
  CORE_PROTOCOL_VERSION,
  HandshakeError,
} from '../../src/handshake/index.js';

function cookieError(env: Record<string, string | undefined>): HandshakeError {
  try {
    checkCookie(env);
  } catch (e) {
    assert.ok(isHandshakeError(e));
    return e;
  }
  assert.fail('expected checkCookie to throw');
}

describe('constants', () => {
  it('are the agreed wire values', () => {
    assert.equal(CORE_PROTOCOL_VERSION, 1);
    assert.equal(MAGIC_COOKIE_KEY, 'SNOOZEBOT_PLUGIN');
    assert.equal(MAGIC_COOKIE_VALUE, 'snoozebot_plugin_v1');
    assert.deepEqual(ENV, {
      protocolVersions: 'PLUGIN_PROTOCOL_VERSIONS',
      minPort: 'PLUGIN_MIN_PORT',
      maxPort: 'PLUGIN_MAX_PORT',
      unixSocketDir: 'PLUGIN_UNIX_SOCKET_DIR',
      clientCert: 'PLUGIN_CLIENT_CERT',
    });
  });

  it('NOT_A_PLUGIN_MESSAGE points at snoozebot, not at go-plugin', () => {
    assert.match(NOT_A_PLUGIN_MESSAGE, /snoozebot daemon/);
    assert.match(NOT_A_PLUGIN_MESSAGE, /\/etc\/snoozebot\/plugins/);
    assert.ok(NOT_A_PLUGIN_MESSAGE.endsWith('\n'));
    assert.ok(!NOT_A_PLUGIN_MESSAGE.includes('These are not meant to be executed directly'));
  });
});

describe('checkCookie', () => {
  it('accepts the cookie among other variables', () => {
    checkCookie({ [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE });
    checkCookie({ PATH: '/usr/bin', [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, HOME: undefined });
  });

  it('COOKIE_MISSING when unset or empty', () => {
    const unset = cookieError({ PATH: '/usr/bin' });
    assert.equal(unset.code, 'COOKIE_MISSING');
    assert.equal(unset.field, 'SNOOZEBOT_PLUGIN');
    assert.equal(unset.seen, 'nothing');
    assert.equal(unset.expected, '"snoozebot_plugin_v1"');
    assert.match(unset.message, /^SNOOZEBOT_PLUGIN: saw nothing, expected "snoozebot_plugin_v1"\. .*snoozebot daemon/);

    const explicitUndefined = cookieError({ [MAGIC_COOKIE_KEY]: undefined });
    assert.equal(explicitUndefined.code, 'COOKIE_MISSING');

    const empty = cookieError({ [MAGIC_COOKIE_KEY]: '' });
    assert.equal(empty.code, 'COOKIE_MISSING');
    assert.equal(empty.seen, '""');
  });

  it('COOKIE_MISMATCH echoes the value seen', () => {
    for (const value of ['wrong', 'snoozebot_plugin_v2', 'SNOOZEBOT_PLUGIN_V1', ' snoozebot_plugin_v1']) {
      const e = cookieError({ [MAGIC_COOKIE_KEY]: value });
      assert.equal(e.code, 'COOKIE_MISMATCH');
      assert.equal(e.field, 'SNOOZEBOT_PLUGIN');
      assert.equal(e.seen, JSON.stringify(value));
      assert.equal(e.expected, '"snoozebot_plugin_v1"');
    }
  });

  it('never echoes the rest of the environment, and cuts a long cookie', () => {
    const e = cookieError({
      AWS_SECRET_ACCESS_KEY: 'hunter2-very-secret',
      [MAGIC_COOKIE_KEY]: 'z'.repeat(1 << 20),
      OTHER: 'also-secret',
    });
    assert.equal(e.code, 'COOKIE_MISMATCH');
    assert.ok(!e.message.includes('hunter2'));
    assert.ok(!e.message.includes('also-secret'));
    assert.match(e.seen, /^"z+"… \(1048576 chars\)$/);
    assert.ok(e.message.length <= 400);
  });

  it('treats an inherited value like an own one', () => {
    const inherited = Object.create({ [MAGIC_COOKIE_KEY]: 'wrong' }) as Record<string, string>;
    // An inherited value still counts as "what the env says"; the point is
    // that nothing but a HandshakeError comes out.
    const e = cookieError(inherited);
    assert.equal(e.code, 'COOKIE_MISMATCH');
  });
});
