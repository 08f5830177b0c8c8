import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import {
  certificateToHandshakeField,
  createEphemeralCertificate,
  handshakeFieldToPem,
} from '../../src/wire/certificate.js';
import type { EphemeralCertificate } from '../../src/wire/certificate.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const HOUR = 3_600_000;

describe('createEphemeralCertificate', () => {
  const now = new Date('2025-03-04T05:06:07.000Z');
  let cert: EphemeralCertificate;
  let x509: X509Certificate;

  before(async () => {
    cert = await createEphemeralCertificate(now);
    x509 = new X509Certificate(cert.certPem);
  });

  it('is a PEM certificate whose DER is the der field', () => {
    assert.match(cert.certPem, /^-----BEGIN CERTIFICATE-----\n/);
    assert.ok(x509.raw.equals(cert.der));
    assert.ok(new X509Certificate(cert.der).raw.equals(cert.der));
  });

  it('names localhost in the subject CN and the DNS SAN', () => {
    assert.ok(x509.subject.split('\n').includes('CN=localhost'), x509.subject);
    assert.equal(x509.subjectAltName, 'DNS:localhost');
    assert.equal(x509.checkHost('localhost'), 'localhost');
  });

  it('is a self-signed CA', () => {
    assert.equal(x509.ca, true);
    assert.equal(x509.issuer, x509.subject);
    assert.ok(x509.checkIssued(x509));
    assert.ok(x509.verify(x509.publicKey));
  });

  it('allows client and server auth', () => {
    const usages = x509.keyUsage ?? [];
    assert.ok(usages.includes(CLIENT_AUTH), `clientAuth missing from ${usages.join(', ')}`);
    assert.ok(usages.includes(SERVER_AUTH), `serverAuth missing from ${usages.join(', ')}`);
  });

  it('has an EC P-521 key', () => {
    assert.equal(x509.publicKey.asymmetricKeyType, 'ec');
    assert.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, 'secp521r1');
  });

  it('is valid from 30 s before now for 30 years', () => {
    const from = new Date(x509.validFrom).getTime();
    const to = new Date(x509.validTo).getTime();
    assert.equal(from, now.getTime() - 30_000);
    assert.equal(to, now.getTime() + 262_980 * HOUR);
    const years = (to - from) / (365.25 * 24 * HOUR);
    assert.ok(Math.abs(years - 30) < 0.01, `${years} years`);
  });

  it('has a positive serial number', () => {
    const first = Number.parseInt(x509.serialNumber.slice(0, 2), 16);
    assert.ok(first < 0x80, x509.serialNumber);
  });

  it('comes with the matching PKCS#8 private key', () => {
    assert.match(cert.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(cert.keyPem, /-----END PRIVATE KEY-----\n$/);
    const key = createPrivateKey(cert.keyPem);
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'secp521r1');
    assert.ok(x509.checkPrivateKey(key));
  });

  it('makes a different key and serial every time', async () => {
    const other = new X509Certificate((await createEphemeralCertificate(now)).der);
    assert.notEqual(other.serialNumber, x509.serialNumber);
    assert.equal(other.checkPrivateKey(createPrivateKey(cert.keyPem)), false);
  });

  it('round-trips through the handshake field without padding', () => {
    const field = certificateToHandshakeField(cert.der);
    assert.equal(field.includes('='), false);
    assert.match(field, /^[A-Za-z0-9+/]+$/);
    const pem = handshakeFieldToPem(field);
    assert.ok(new X509Certificate(pem).raw.equals(cert.der));
  });
});

describe('handshake field encoding', () => {
  it('drops base64 padding (Go RawStdEncoding)', () => {
    assert.equal(certificateToHandshakeField(Buffer.from([0xff])), '/w');
    assert.equal(certificateToHandshakeField(Buffer.from([0xfb, 0xff])), '+/8');
    assert.equal(certificateToHandshakeField(Buffer.from([1, 2, 3])), 'AQID');
  });

  it('decodes padded and unpadded fields to the same PEM body, in 64-column lines', () => {
    for (const length of [1, 2, 3, 47, 48, 49, 100]) {
      const der = Buffer.alloc(length, 0xa5);
      const field = certificateToHandshakeField(der);
      const pem = handshakeFieldToPem(field);
      assert.equal(pem, handshakeFieldToPem(der.toString('base64')));
      const lines = pem.trimEnd().split('\n');
      assert.equal(lines[0], '-----BEGIN CERTIFICATE-----');
      assert.equal(lines[lines.length - 1], '-----END CERTIFICATE-----');
      const body = lines.slice(1, -1);
      assert.ok(body.every((l) => l.length > 0 && l.length <= 64));
      assert.ok(Buffer.from(body.join(''), 'base64').equals(der));
    }
  });
});
