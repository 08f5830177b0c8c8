// A certificate authority made for one test, and a server certificate it
// signed for 127.0.0.1 and localhost: what a local HTTPS endpoint needs so
// that a client trusts it exactly when told to (NODE_EXTRA_CA_CERTS), as an
// operator would trust a private CA or a TLS-inspecting proxy.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
type Keys = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

export interface TestCa {
  /** PEM of the CA certificate. */
  readonly caPem: string;
  /** A file holding caPem, for NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  /** The server's certificate (signed by the CA) and key, for node:https. */
  readonly certPem: string;
  readonly keyPem: string;
  cleanup(): Promise<void>;
}

function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

type KeyPair = webcrypto.CryptoKeyPair;

async function keyPair(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as KeyPair;
}

export async function createTestCa(): Promise<TestCa> {
  const now = Date.now();
  const caKeys = await keyPair();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=snoozebot test CA',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 24 * 3_600_000),
    keys: caKeys as unknown as Keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const serverKeys = await keyPair();
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=localhost',
    issuer: ca.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 24 * 3_600_000),
    publicKey: serverKeys.publicKey as unknown as Keys['publicKey'],
    signingKey: caKeys.privateKey as unknown as Keys['privateKey'],
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey);
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8).toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`;
  const dir = await mkdtemp(join(tmpdir(), 'snoozebot-ca-'));
  const caFile = join(dir, 'ca.pem');
  const caPem = ca.toString('pem');
  await writeFile(caFile, caPem, { mode: 0o644 });
  return { caPem, caFile, certPem: server.toString('pem'), keyPem, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
