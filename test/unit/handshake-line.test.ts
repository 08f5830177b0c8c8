import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatHandshake,
  isHandshakeError,
  parseHandshake,
  type HandshakeErrorCode,
} from '../../src/handshake/index.js';

// A self-signed P-256 certificate, base64 DER without padding, the way
// go-plugin's server prints it (447 bytes, so no padding would occur anyway).
const CERT =
  'MIIBuzCCAWGgAwIBAgIUOz3gSG7gTtbRmk5rKlqY6D0loW0wCgYIKoZIzj0EAwIwKDESMBAGA1UECgwJSGFzaGlDb3JwMRIwEAYDVQQDDAlsb2NhbGhvc3QwHhcNMjYxMTIzMTkxODQ5WhcNMzYxMTIwMTkxODQ5WjAoMRIwEAYDVQQKDAlIYXNoaUNvcnAxEjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABI3+ncJVNec+F6QWHsFnzK9QYxysKMOgo7JjyfWKYkqWZ3zTPK27j8216XVqtEvBTsnVBhSFgtsfhQQoEf7WVGCjaTBnMB0GA1UdDgQWBBQ3y4ZkX28BYGYcWlzDLGZT6Dw5MDAfBgNVHSMEGDAWgBQ3y4ZkX28BYGYcWlzDLGZT6Dw5MDAPBgNVHRMBAf8EBTADAQH/MBQGA1UdEQQNMAuCCWxvY2FsaG9zdDAKBggqhkjOPQQDAgNIADBFAiEAqHVis2W3HcCizLC32nmQ6KUv/cuwhqoWoXCtO3lUeLQCIHnXrALIaLsrkpHpco9VYK9t9FtkR6g7llwZtKc7uCzX';

interface Expected {
  code: HandshakeErrorCode;
  field: string;
  seen?: string;
  expected?: string | RegExp;
  message?: RegExp;
}

function rejects(line: string, want: Expected): void {
  assert.throws(
    () => parseHandshake(line),
    (e: unknown) => {
      assert.ok(isHandshakeError(e), `not a HandshakeError: ${String(e)}`);
      assert.equal(e.code, want.code);
      assert.equal(e.field, want.field);
      if (want.seen !== undefined) assert.equal(e.seen, want.seen);
      if (typeof want.expected === 'string') assert.equal(e.expected, want.expected);
      else if (want.expected !== undefined) assert.match(e.expected, want.expected);
      if (want.message !== undefined) assert.match(e.message, want.message);
      assert.ok(e.message.startsWith(`${e.field}: saw ${e.seen}, expected ${e.expected}`), e.message);
      assert.ok(e.message.length <= 400, `message too long: ${e.message.length}`);
      return true;
    },
  );
}

describe('parseHandshake: lines as go-plugin servers print them', () => {
  it('reads a unix handshake without a certificate', () => {
    assert.deepEqual(parseHandshake('1|1|unix|/tmp/plugin123|grpc|'), {
      coreVersion: 1,
      appVersion: 1,
      network: 'unix',
      address: '/tmp/plugin123',
      protocol: 'grpc',
    });
  });

  it('trims surrounding whitespace including \\r\\n, like strings.TrimSpace', () => {
    const h = parseHandshake(' \t1|2|unix|/tmp/plugin123|grpc|\r\n');
    assert.equal(h.appVersion, 2);
    assert.equal(h.address, '/tmp/plugin123');
    // U+0085 is space to Go but not to String.prototype.trim.
    assert.equal(parseHandshake('1|1|unix|/tmp/p|grpc\u0085').protocol, 'grpc');
  });

  it('reads a real-looking certificate', () => {
    const h = parseHandshake(`1|1|unix|/tmp/plugin123|grpc|${CERT}\n`);
    assert.equal(h.serverCert, CERT);
    const der = Buffer.from(h.serverCert ?? '', 'base64');
    assert.equal(der.length, 447);
    assert.equal(der[0], 0x30); // DER SEQUENCE
  });

  it('accepts padded base64 and normalises it to unpadded', () => {
    const der = Buffer.from(CERT, 'base64').subarray(0, 445);
    const padded = der.toString('base64');
    assert.ok(padded.endsWith('='));
    const h = parseHandshake(`1|1|unix|/tmp/p|grpc|${padded}`);
    assert.equal(h.serverCert, padded.replace(/=+$/, ''));
  });

  it('ignores a short 6th field, which old servers used for extra data', () => {
    const h = parseHandshake('1|1|unix|/tmp/p|grpc|some extra data');
    assert.equal(h.serverCert, undefined);
    assert.ok(!('serverCert' in h));
  });

  it('reads tcp addresses', () => {
    for (const address of ['127.0.0.1:1234', 'localhost:65535', '[::1]:1', '[fe80::1%eth0]:80']) {
      const h = parseHandshake(`1|1|tcp|${address}|grpc|`);
      assert.equal(h.network, 'tcp');
      assert.equal(h.address, address);
    }
  });

  it('accepts a leading-zero core version, as Go ParseInt does', () => {
    assert.equal(parseHandshake('01|1|unix|/tmp/p|grpc|').coreVersion, 1);
  });
});

describe('parseHandshake: rejections', () => {
  it('HANDSHAKE_EMPTY', () => {
    rejects('', { code: 'HANDSHAKE_EMPTY', field: 'line', seen: '""', expected: /1\|1\|unix/ });
    rejects('  \r\n', { code: 'HANDSHAKE_EMPTY', field: 'line', seen: '"  \\r\\n"' });
  });

  it('HANDSHAKE_MALFORMED quotes the whole line', () => {
    rejects('hello world', { code: 'HANDSHAKE_MALFORMED', field: 'line', seen: '"hello world"' });
    rejects('1|1|unix\n', { code: 'HANDSHAKE_MALFORMED', field: 'line', seen: '"1|1|unix\\n"' });
  });

  it('HANDSHAKE_CORE_VERSION', () => {
    for (const core of ['2', '0', '-1', '+1', 'x', '', '1 ', '1.0']) {
      rejects(`${core}|1|unix|/tmp/p|grpc|`, {
        code: 'HANDSHAKE_CORE_VERSION',
        field: 'coreVersion',
        seen: JSON.stringify(core),
        expected: '"1"',
        message: /To fix this, rebuild the plugin against a go-plugin–compatible SDK/,
      });
    }
  });

  it('HANDSHAKE_APP_VERSION when not a positive decimal integer', () => {
    for (const app of ['abc', '0', '-1', '1.5', '', '0x10', '1e3', '99999999999999999999']) {
      rejects(`1|${app}|unix|/tmp/p|grpc|`, {
        code: 'HANDSHAKE_APP_VERSION',
        field: 'appVersion',
        seen: JSON.stringify(app),
        expected: 'a positive decimal integer',
      });
    }
  });

  it('HANDSHAKE_NETWORK', () => {
    for (const network of ['udp', 'UNIX', '', 'tcp6']) {
      rejects(`1|1|${network}|/tmp/p|grpc|`, {
        code: 'HANDSHAKE_NETWORK',
        field: 'network',
        seen: JSON.stringify(network),
        expected: '"unix" or "tcp"',
      });
    }
  });

  it('HANDSHAKE_ADDRESS for unix paths', () => {
    rejects('1|1|unix||grpc|', { code: 'HANDSHAKE_ADDRESS', field: 'address', seen: '""', expected: /socket path/ });
    rejects('1|1|unix|/tmp/a\u0000b|grpc|', { code: 'HANDSHAKE_ADDRESS', field: 'address', seen: '"/tmp/a\\u0000b"' });
    rejects('1|1|unix|/tmp/\u001b[31m|grpc|', { code: 'HANDSHAKE_ADDRESS', field: 'address', seen: '"/tmp/\\u001b[31m"' });
    rejects('1|1|unix|/tmp/\u0085x|grpc|', { code: 'HANDSHAKE_ADDRESS', field: 'address', seen: '"/tmp/\\u0085x"' });
    rejects('1|1|unix|/tmp/\ud800|grpc|', { code: 'HANDSHAKE_ADDRESS', field: 'address', seen: '"/tmp/\\ud800"' });
  });

  it('HANDSHAKE_ADDRESS for tcp host:port', () => {
    for (const address of ['localhost', ':1234', 'h:0', 'h:65536', 'h:', 'h:12a', '::1:80', 'h :80', 'h:+80', '[::1]', '[zz]:80']) {
      rejects(`1|1|tcp|${address}|grpc|`, {
        code: 'HANDSHAKE_ADDRESS',
        field: 'address',
        seen: JSON.stringify(address),
        expected: /port from 1 to 65535/,
      });
    }
  });

  it('HANDSHAKE_NETRPC for a missing 5th field or "netrpc"', () => {
    rejects('1|1|unix|/tmp/p', {
      code: 'HANDSHAKE_NETRPC',
      field: 'protocol',
      seen: 'nothing',
      expected: '"grpc"',
      message: /net\/rpc plugins are not supported; serve the plugin with gRPC/,
    });
    rejects('1|1|unix|/tmp/p|netrpc|', {
      code: 'HANDSHAKE_NETRPC',
      field: 'protocol',
      seen: '"netrpc"',
      expected: '"grpc"',
      message: /net\/rpc plugins are not supported; serve the plugin with gRPC/,
    });
  });

  it('HANDSHAKE_PROTOCOL for anything else', () => {
    for (const protocol of ['', 'GRPC', 'http', 'grpc ']) {
      rejects(`1|1|unix|/tmp/p|${protocol}|x`, {
        code: 'HANDSHAKE_PROTOCOL',
        field: 'protocol',
        seen: JSON.stringify(protocol),
        expected: '"grpc"',
      });
    }
  });

  it('HANDSHAKE_CERT for a long 6th field that is not base64', () => {
    const bad = [
      CERT.slice(0, 60) + '!',
      CERT.slice(0, 61), // 61 % 4 === 1 can never be base64
      CERT.slice(0, 62) + '=', // padding must complete a 4-char group
      CERT.slice(0, 60) + '===',
      CERT.slice(0, 40) + '|' + CERT.slice(0, 40), // SplitN keeps extra pipes in the 6th field
      'é'.repeat(26), // 26 UTF-16 units but 52 bytes, which is what go-plugin measures
    ];
    for (const cert of bad) {
      rejects(`1|1|unix|/tmp/p|grpc|${cert}`, {
        code: 'HANDSHAKE_CERT',
        field: 'serverCert',
        expected: 'a base64-encoded DER certificate',
      });
    }
  });
});

describe('parseHandshake: hostile input stays readable', () => {
  it('cuts a 1 MiB line in the error', () => {
    const line = 'x'.repeat(1 << 20);
    rejects(line, { code: 'HANDSHAKE_MALFORMED', field: 'line', message: /… \(1048576 chars\)/ });
    const e = catchError(() => parseHandshake(line));
    assert.ok(e.seen.length < 110, e.seen);
    assert.ok(e.seen.startsWith('"xxxx'));
  });

  it('handles a 1 MiB address and a 1 MiB certificate', () => {
    const path = '/' + 'a'.repeat(1 << 20);
    assert.equal(parseHandshake(`1|1|unix|${path}|grpc|`).address, path);
    rejects(`1|1|unix|${path}\u0000|grpc|`, { code: 'HANDSHAKE_ADDRESS', field: 'address', message: /chars\)/ });
    const junkCert = 'A'.repeat(1 << 20) + '*';
    rejects(`1|1|unix|/tmp/p|grpc|${junkCert}`, { code: 'HANDSHAKE_CERT', field: 'serverCert' });
  });

  it('stays fast on long whitespace runs', () => {
    const start = Date.now();
    rejects(' '.repeat(1 << 20) + 'x' + ' '.repeat(1 << 20), { code: 'HANDSHAKE_MALFORMED', field: 'line' });
    assert.ok(Date.now() - start < 2000);
  });

  it('escapes binary junk, NUL, bidi overrides and lone surrogates', () => {
    const bytes = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) bytes[i] = i;
    const binary = bytes.toString('latin1');
    const e1 = catchError(() => parseHandshake(binary));
    assert.equal(e1.code, 'HANDSHAKE_MALFORMED');
    assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(e1.message), e1.message);

    const e2 = catchError(() => parseHandshake('1|1|\u202eunix\u200b|/tmp/p|grpc|'));
    // U+202E would reverse the rest of the terminal line; \u200b is invisible.
    assert.equal(e2.code, 'HANDSHAKE_NETWORK');
    assert.equal(e2.seen, '"\\u202eunix\\u200b"');

    const e3 = catchError(() => parseHandshake('\udc00\ud800|\u0000'));
    assert.equal(e3.seen, '"\\udc00\\ud800|\\u0000"');
    assert.equal(JSON.parse(e3.seen), '\udc00\ud800|\u0000');
  });

  it('never cuts inside a surrogate pair', () => {
    const e = catchError(() => parseHandshake('😀'.repeat(1000)));
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(e.seen), 'lone high surrogate at the cut');
    assert.match(e.seen, /… \(2000 chars\)$/);
  });
});

describe('formatHandshake', () => {
  it('prints exactly what go-plugin prints', () => {
    assert.equal(formatHandshake({ appVersion: 1, network: 'unix', address: '/tmp/plugin123' }), '1|1|unix|/tmp/plugin123|grpc|');
    assert.equal(
      formatHandshake({ appVersion: 3, network: 'tcp', address: '127.0.0.1:1234', serverCert: CERT }),
      `1|3|tcp|127.0.0.1:1234|grpc|${CERT}`,
    );
    assert.equal(formatHandshake({ appVersion: 1, network: 'unix', address: '/p', serverCert: '' }), '1|1|unix|/p|grpc|');
  });

  it('round-trips', () => {
    const h = { appVersion: 7, network: 'unix' as const, address: '/run/snoozebot/p.sock', serverCert: CERT };
    assert.deepEqual(parseHandshake(formatHandshake(h)), { coreVersion: 1, protocol: 'grpc', ...h });
  });

  it('writes padded certificates unpadded, like RawStdEncoding', () => {
    const padded = Buffer.from(CERT, 'base64').subarray(0, 446).toString('base64');
    const line = formatHandshake({ appVersion: 1, network: 'unix', address: '/p', serverCert: padded });
    assert.ok(!line.endsWith('='));
  });

  it('refuses values the host would reject', () => {
    const cases: Array<[Parameters<typeof formatHandshake>[0], HandshakeErrorCode]> = [
      [{ appVersion: 0, network: 'unix', address: '/p' }, 'HANDSHAKE_APP_VERSION'],
      [{ appVersion: 1.5, network: 'unix', address: '/p' }, 'HANDSHAKE_APP_VERSION'],
      [{ appVersion: 1, network: 'udp' as 'tcp', address: '/p' }, 'HANDSHAKE_NETWORK'],
      [{ appVersion: 1, network: 'unix', address: '/a|b' }, 'HANDSHAKE_ADDRESS'],
      [{ appVersion: 1, network: 'unix', address: '/a\nb' }, 'HANDSHAKE_ADDRESS'],
      [{ appVersion: 1, network: 'tcp', address: '127.0.0.1' }, 'HANDSHAKE_ADDRESS'],
      [{ appVersion: 1, network: 'unix', address: '/p', serverCert: 'AAAA' }, 'HANDSHAKE_CERT'],
      [{ appVersion: 1, network: 'unix', address: '/p', serverCert: CERT + '!' }, 'HANDSHAKE_CERT'],
    ];
    for (const [input, code] of cases) {
      const e = catchError(() => formatHandshake(input));
      assert.equal(e.code, code, JSON.stringify(input));
    }
  });
});

function catchError(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    assert.ok(isHandshakeError(e), `not a HandshakeError: ${String(e)}`);
    return e;
  }
  assert.fail('expected a HandshakeError');
}
