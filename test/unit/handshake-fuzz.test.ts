import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkCookie,
  formatHandshake,
  HANDSHAKE_ERROR_CODES,
  isHandshakeError,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  negotiateVersion,
  parseHandshake,
  parseProtocolVersions,
  type Handshake,
} from '../../src/handshake/index.js';

const RUNS = { numRuns: 500 };

// Strings of every flavour: any code point, user-perceived characters, and
// raw UTF-16 units, which include unpaired surrogates (invalid UTF-16).
const anyString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)) }),
  fc.string({ unit: 'binary-ascii', maxLength: 2000 }),
);

// Lines that look like handshakes, so the fuzzer gets past the first checks.
const piece = fc.oneof(
  anyString,
  fc.constantFrom('1', '2', '0', '-1', 'unix', 'tcp', 'grpc', 'netrpc', '/tmp/p', '127.0.0.1:1234', '[::1]:80', ''),
  fc.base64String({ minLength: 40, maxLength: 200 }),
);
const handshakeLike = fc
  .array(piece, { minLength: 0, maxLength: 8 })
  .chain((parts) => fc.constantFrom('', '\n', '\r\n', ' ').map((end) => parts.join('|') + end));

const versionListLike = fc.oneof(
  anyString,
  fc.array(fc.oneof(fc.nat().map(String), anyString, fc.constantFrom(' 1', '2 ', '', '1.5')), { maxLength: 6 }).map((a) => a.join(',')),
);

/** Runs fn; it may return, or throw a bounded HandshakeError, nothing else. */
function returnsOrHandshakeError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(isHandshakeError(e), `threw something else: ${String(e)}`);
    assert.ok((HANDSHAKE_ERROR_CODES as readonly string[]).includes(e.code));
    assert.ok(e.message.length <= 400, `message is ${e.message.length} chars`);
    assert.ok(e.message.startsWith(`${e.field}: saw ${e.seen}, expected ${e.expected}`));
    // Seen values are JSON strings, bare numbers or "nothing"; uncut JSON
    // strings must parse back.
    if (e.seen.startsWith('"') && e.seen.endsWith('"')) JSON.parse(e.seen);
    assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(e.message), 'raw control character in message');
  }
}

describe('property: nothing but HandshakeError escapes', () => {
  it('parseHandshake', () => {
    fc.assert(fc.property(fc.oneof(anyString, handshakeLike), (line) => returnsOrHandshakeError(() => parseHandshake(line))), RUNS);
  });

  it('parseProtocolVersions', () => {
    fc.assert(fc.property(fc.option(versionListLike, { nil: undefined }), (v) => returnsOrHandshakeError(() => parseProtocolVersions(v))), RUNS);
  });

  it('negotiateVersion returns a supported version or throws HandshakeError', () => {
    const supported = fc.uniqueArray(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(fc.option(versionListLike, { nil: undefined }), supported, (offered, ours) => {
        returnsOrHandshakeError(() => {
          const v = negotiateVersion(offered, ours);
          assert.ok(ours.includes(v));
        });
      }),
      RUNS,
    );
  });

  it('checkCookie', () => {
    const env = fc.oneof(
      anyString.map((v) => ({ [MAGIC_COOKIE_KEY]: v })),
      fc.dictionary(anyString, fc.option(anyString, { nil: undefined })),
      fc.dictionary(anyString, anyString).map((d) => ({ ...d, [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE })),
    );
    fc.assert(fc.property(env, (e) => returnsOrHandshakeError(() => checkCookie(e))), RUNS);
  });

  it('the seen value quotes short input exactly', () => {
    fc.assert(
      fc.property(anyString.filter((s) => s !== '' && s !== MAGIC_COOKIE_VALUE && s.length <= 10), (value) => {
        try {
          checkCookie({ [MAGIC_COOKIE_KEY]: value });
          assert.fail('should have thrown');
        } catch (e) {
          assert.ok(isHandshakeError(e));
          assert.equal(JSON.parse(e.seen), value);
        }
      }),
      RUNS,
    );
  });
});

describe('property: formatHandshake output parses back', () => {
  const unixPath = fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }).filter((s) => !/[\p{Cc}\p{Cs}|]/u.test(s));
  const host = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6().map((ip) => `[${ip}]`), fc.constant('localhost'));
  const tcpAddress = fc.tuple(host, fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `${h}:${p}`);
  const network = fc.oneof(
    unixPath.map((address) => ({ network: 'unix' as const, address })),
    tcpAddress.map((address) => ({ network: 'tcp' as const, address })),
  );
  // Real certificates are hundreds of bytes; 38 bytes is the least that
  // encodes to more than 50 base64 characters.
  const cert = fc.option(
    fc.uint8Array({ minLength: 38, maxLength: 1200 }).map((b) => Buffer.from(b).toString('base64').replace(/=+$/, '')),
    { nil: undefined },
  );

  it('parseHandshake(formatHandshake(h)) gives h back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), network, cert, (appVersion, where, serverCert) => {
        const input = serverCert === undefined ? { appVersion, ...where } : { appVersion, ...where, serverCert };
        const line = formatHandshake(input);
        assert.equal(line.split('|').length, 6);
        assert.ok(!line.includes('\n'));
        const expected: Handshake = { coreVersion: 1, protocol: 'grpc', ...input };
        assert.deepEqual(parseHandshake(line), expected);
        assert.deepEqual(parseHandshake(line + '\r\n'), expected);
      }),
      RUNS,
    );
  });
});
