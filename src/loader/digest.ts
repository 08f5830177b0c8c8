// A bundle's digest, computed at build time (scripts/bundle.ts) and compiled
// into the loader: hashing 800 KB at every start would cost a millisecond, and
// loading node:crypto more than that.
import { createHash } from 'node:crypto';

export function sourceDigest(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 24);
}
