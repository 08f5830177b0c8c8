// go-plugin's SecureConfig: refuse to run a binary whose SHA-256 is not the
// one the operator pinned.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { HostError } from './errors.js';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function normalizeSha256(pin: string): string {
  const hex = pin.trim().toLowerCase().replace(/^sha256:/, '');
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new HostError('PLUGIN_CHECKSUM', `sha256 pin ${JSON.stringify(pin)} is not 64 hex digits; compute it with sha256sum`);
  }
  return hex;
}

export async function verifyChecksum(path: string, pin: string): Promise<void> {
  const expected = normalizeSha256(pin);
  const actual = await sha256File(path);
  if (actual !== expected) {
    throw new HostError(
      'PLUGIN_CHECKSUM',
      `${path}: sha256 is ${actual}, but ${expected} is pinned; refusing to start it (update the pin if the new binary is trusted)`,
    );
  }
}
