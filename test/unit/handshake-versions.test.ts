import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkAppVersion,
  isHandshakeError,
  negotiateVersion,
  parseProtocolVersions,
  type HandshakeError,
} from '../../src/handshake/index.js';

function handshakeError(fn: () => unknown): HandshakeError {
  try {
    fn();
  } catch (e) {
    assert.ok(isHandshakeError(e), `not a HandshakeError: ${String(e)}`);
    return e;
  }
  assert.fail('expected a HandshakeError');
}

describe('parseProtocolVersions', () => {
  it('reads a legacy host (no list) as []', () => {
    assert.deepEqual(parseProtocolVersions(undefined), []);
    assert.deepEqual(parseProtocolVersions(''), []);
    assert.deepEqual(parseProtocolVersions(' \t'), []);
  });

  it('reads comma lists, tolerating whitespace, sorted and de-duplicated', () => {
    assert.deepEqual(parseProtocolVersions('1'), [1]);
    assert.deepEqual(parseProtocolVersions('1,2'), [1, 2]);
    assert.deepEqual(parseProtocolVersions(' 3 , 1 ,3,\t2 '), [1, 2, 3]);
    assert.deepEqual(parseProtocolVersions('007'), [7]);
  });

  it('VERSIONS_INVALID on junk', () => {
    for (const value of ['a', '0', '-1', '1.5', '1,,2', '1,', ',1', '+1', '1 2', '0x1', '99999999999999999999', '1;2']) {
      const e = handshakeError(() => parseProtocolVersions(value));
      assert.equal(e.code, 'VERSIONS_INVALID', value);
      assert.equal(e.field, 'PLUGIN_PROTOCOL_VERSIONS');
      assert.equal(e.seen, JSON.stringify(value));
      assert.match(e.expected, /comma-separated positive integers/);
      assert.match(e.message, /Entry \d+ is not a positive integer/);
    }
  });
});

describe('negotiateVersion (plugin side)', () => {
  it('picks the highest common version', () => {
    assert.equal(negotiateVersion('1,2,3', [2, 3, 4]), 3);
    assert.equal(negotiateVersion('1', [1]), 1);
    assert.equal(negotiateVersion('4,1', [1, 4, 2]), 4);
  });

  it("serves the plugin's highest version to a host that sent no list", () => {
    assert.equal(negotiateVersion(undefined, [1, 2]), 2);
    assert.equal(negotiateVersion('', [3, 1]), 3);
  });

  it('VERSIONS_NO_MATCH names both lists', () => {
    const e = handshakeError(() => negotiateVersion('5,6', [1, 2]));
    assert.equal(e.code, 'VERSIONS_NO_MATCH');
    assert.equal(e.field, 'PLUGIN_PROTOCOL_VERSIONS');
    assert.equal(e.seen, '"5,6"');
    assert.equal(e.expected, "one of the plugin's versions [1, 2]");
  });

  it('passes VERSIONS_INVALID through for a junk offer', () => {
    assert.equal(handshakeError(() => negotiateVersion('x', [1])).code, 'VERSIONS_INVALID');
  });

  it('treats a bad supported list as a programming error', () => {
    assert.throws(() => negotiateVersion('1', []), RangeError);
    assert.throws(() => negotiateVersion('1', [0]), RangeError);
    assert.throws(() => negotiateVersion('1', [1.5]), RangeError);
  });

  it('keeps messages short for huge lists', () => {
    const offered = Array.from({ length: 10000 }, (_, i) => i + 100).join(',');
    const supported = Array.from({ length: 10000 }, (_, i) => i + 1);
    const e = handshakeError(() => negotiateVersion(offered, supported.slice(0, 50)));
    assert.equal(e.code, 'VERSIONS_NO_MATCH');
    assert.ok(e.message.length <= 400, String(e.message.length));
    assert.equal(negotiateVersion(offered, supported), 10000);
  });
});

describe('checkAppVersion (host side)', () => {
  it('accepts an offered version', () => {
    checkAppVersion(2, [1, 2]);
  });

  it('HANDSHAKE_APP_VERSION names the offered list', () => {
    const e = handshakeError(() => checkAppVersion(3, [1, 2]));
    assert.equal(e.code, 'HANDSHAKE_APP_VERSION');
    assert.equal(e.field, 'appVersion');
    assert.equal(e.seen, '3');
    assert.equal(e.expected, 'one of the versions the host offered [1, 2]');
    assert.ok(e.message.startsWith('appVersion: saw 3, expected one of the versions the host offered [1, 2]'));
  });

  it('elides long offered lists', () => {
    const offered = Array.from({ length: 1000 }, (_, i) => i + 2);
    const e = handshakeError(() => checkAppVersion(1, offered));
    assert.match(e.expected, /992 more/);
    assert.ok(e.message.length <= 400);
  });
});
