import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isHandshakeError } from '../../src/handshake/index.js';
import { scanStdoutLine } from '../../src/host/handshake-scanner.js';

describe('scanStdoutLine', () => {
  it('returns noise for lines that do not start like a handshake', () => {
    for (const text of ['starting plugin v1.2', '', 'version 1|2', '|1|unix|/tmp/s|grpc|', 'a1|1|unix|/x|grpc|']) {
      assert.deepEqual(scanStdoutLine({ text, truncated: false }, [1]), { kind: 'noise', text });
    }
  });

  it('returns overflow for a truncated line, even if it looks like a handshake', () => {
    const text = '1|1|unix|/tmp/' + 'x'.repeat(100);
    assert.deepEqual(scanStdoutLine({ text, truncated: true }, [1]), { kind: 'overflow', text });
  });

  it('parses a valid handshake', () => {
    const result = scanStdoutLine({ text: '1|2|unix|/tmp/plugin.sock|grpc|', truncated: false }, [1, 2]);
    assert.equal(result.kind, 'handshake');
    assert.ok(result.kind === 'handshake');
    assert.equal(result.handshake.appVersion, 2);
    assert.equal(result.handshake.network, 'unix');
    assert.equal(result.handshake.address, '/tmp/plugin.sock');
    assert.equal(result.handshake.protocol, 'grpc');
  });

  it('accepts leading whitespace before a handshake', () => {
    const result = scanStdoutLine({ text: '  1|1|tcp|127.0.0.1:1234|grpc|', truncated: false }, [1]);
    assert.equal(result.kind, 'handshake');
  });

  it('throws HandshakeError for a line that looks like a handshake but is not valid', () => {
    for (const [text, code] of [
      ['1|1|udp|/tmp/x|grpc|', 'HANDSHAKE_NETWORK'],
      ['2|1|unix|/tmp/x|grpc|', 'HANDSHAKE_CORE_VERSION'],
      ['1|1|unix|/tmp/x|netrpc|', 'HANDSHAKE_NETRPC'],
      ['1|', 'HANDSHAKE_MALFORMED'],
    ] as const) {
      assert.throws(
        () => scanStdoutLine({ text, truncated: false }, [1]),
        (e: unknown) => isHandshakeError(e) && e.code === code,
        text,
      );
    }
  });

  it('throws HANDSHAKE_APP_VERSION for an app version the host did not offer', () => {
    assert.throws(
      () => scanStdoutLine({ text: '1|3|unix|/tmp/x|grpc|', truncated: false }, [1, 2]),
      (e: unknown) => isHandshakeError(e) && e.code === 'HANDSHAKE_APP_VERSION' && e.field === 'appVersion',
    );
  });
});
