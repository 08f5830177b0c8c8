// Whether a file in the plugins directory may be run: the trust rules of
// trust.ts on the facts walk.ts gathers, then a configured SHA-256 pin. The
// daemon asks at discovery, on every change, and (through the host's verify
// hook) right before every start and restart: a file that passed once may
// have been replaced, or a directory on its path opened up, since.
import { normalizeSha256, sha256File } from '../../host/checksum.js';
import { judgeWalk } from './trust.js';
import type { Verdict } from './trust.js';
import { walkPluginPath } from './walk.js';

export type { Verdict };

export interface InspectOptions {
  /** The daemon's uid: besides root, the only owner a plugin may have. */
  readonly uid: number;
  /** Configured SHA-256 of the binary (hex, optionally "sha256:"-prefixed). */
  readonly sha256Pin?: string | undefined;
}

function errorText(error: unknown): string {
  return (error as Error | undefined)?.message ?? String(error);
}

async function checkPin(path: string, pin: string): Promise<Verdict> {
  let expected: string;
  try {
    expected = normalizeSha256(pin);
  } catch (error) {
    return { ok: false, reason: `the sha256 pin configured for ${path} is unusable: ${errorText(error)}` };
  }
  let actual: string;
  try {
    actual = await sha256File(path);
  } catch (error) {
    return { ok: false, reason: `${path} cannot be read to check its sha256 pin: ${errorText(error)}` };
  }
  if (actual === expected) return { ok: true };
  return {
    ok: false,
    reason: `${path} has sha256 ${actual}, but ${expected} is pinned; refusing to run it (if this binary is trusted, update the pin in the config)`,
  };
}

/** Never throws: every problem, including the file vanishing, is a refusal with a reason. */
export async function inspectPlugin(path: string, options: InspectOptions): Promise<Verdict> {
  let verdict: Verdict;
  try {
    verdict = judgeWalk(await walkPluginPath(path), options.uid);
  } catch (error) {
    return { ok: false, reason: `${path} cannot be examined: ${errorText(error)}` };
  }
  // Only a string is a pin: a lookup like pins[name] for a plugin named
  // "constructor" in a plain object yields Object's method, not a pin.
  if (!verdict.ok || typeof options.sha256Pin !== 'string') return verdict;
  // Hash only what passed the owner and mode checks: no point reading a FIFO or
  // a file anyone may rewrite right after it was hashed.
  const pinned = await checkPin(path, options.sha256Pin);
  return pinned.ok ? verdict : pinned;
}
