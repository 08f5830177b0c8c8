// Ephemeral certificates for go-plugin's AutoMTLS.
//
// With AutoMTLS each side makes a throwaway self-signed certificate at start:
// the host passes its own in PLUGIN_CLIENT_CERT (PEM), the plugin answers with
// its own in the handshake's 6th field (base64 DER, no padding). Each side then
// trusts exactly the other's certificate. The shape follows go-plugin's
// mtls.go: ECDSA P-521, CN and DNS SAN "localhost" (Go verifies the SAN against
// ServerName "localhost"), a CA (each certificate is its own root), client and
// server auth, valid from 30 s ago for 30 years.
// @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs the
// Reflect metadata API; this module is only loaded when AutoMTLS is on.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export interface EphemeralCertificate {
  /** PEM certificate, as PLUGIN_CLIENT_CERT carries it. */
  readonly certPem: string;
  /** PEM PKCS#8 private key, for node:tls. */
  readonly keyPem: string;
  /** DER bytes of the certificate, as the handshake carries it (base64). */
  readonly der: Buffer;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-521', hash: 'SHA-512' } as const;
const VALIDITY_HOURS = 262_980; // go-plugin's 30 years
const HOST = 'localhost';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

function positiveSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // a DER INTEGER with the top bit set would be negative
  return Buffer.from(bytes).toString('hex');
}

export async function createEphemeralCertificate(now: Date = new Date()): Promise<EphemeralCertificate> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const usages =
    x509.KeyUsageFlags.digitalSignature |
    x509.KeyUsageFlags.keyEncipherment |
    x509.KeyUsageFlags.keyAgreement |
    x509.KeyUsageFlags.keyCertSign;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: positiveSerial(),
    name: `CN=${HOST}, O=snoozebot`,
    notBefore: new Date(now.getTime() - 30_000),
    notAfter: new Date(now.getTime() + VALIDITY_HOURS * 3_600_000),
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(usages, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: HOST }]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8).toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`;
  return { certPem: cert.toString('pem'), keyPem, der: Buffer.from(cert.rawData) };
}

/** The handshake's encoding of a certificate: base64 of the DER, without padding (Go's RawStdEncoding). */
export function certificateToHandshakeField(der: Buffer): string {
  return der.toString('base64').replace(/=+$/, '');
}

/** Decodes the handshake's certificate field into PEM for node:tls. */
export function handshakeFieldToPem(field: string): string {
  const der = Buffer.from(field, 'base64');
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}
