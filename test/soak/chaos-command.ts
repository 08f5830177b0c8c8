// What the soak driver can tell the chaos fixture plugin to do
// (test/soak/plugins/chaos.ts). Shared by both sides so a command the driver
// writes is one the plugin reads.

export type ChaosCommand =
  | { readonly id: number; readonly action: 'exit'; readonly code: number }
  | { readonly id: number; readonly action: 'flood'; readonly lines: number; readonly longBytes: number }
  | { readonly id: number; readonly action: 'fork' }
  | { readonly id: number; readonly action: 'escape' }
  | { readonly id: number; readonly action: 'die-in-call'; readonly code: number };

/** What the plugin writes back once a command took effect. */
export interface ChaosAck {
  readonly id: number;
  /** fork, escape: the pid of the child left in the plugin's process group. */
  readonly childPid?: number;
  /** escape: the pid of the child that left it (setsid). */
  readonly escapedPid?: number;
}

const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

/** A JSON object with a whole-number `id`, or undefined for anything else (a half-written file included). */
function parseWithId(text: string): (Record<string, unknown> & { readonly id: number }) | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  return isInt(v.id) ? { ...v, id: v.id } : undefined;
}

export function parseChaosCommand(text: string): ChaosCommand | undefined {
  const v = parseWithId(text);
  if (v === undefined) return undefined;
  const id = v.id;
  switch (v.action) {
    case 'exit':
    case 'die-in-call':
      return isInt(v.code) && v.code <= 255 ? { id, action: v.action, code: v.code } : undefined;
    case 'flood':
      return isInt(v.lines) && isInt(v.longBytes) ? { id, action: 'flood', lines: v.lines, longBytes: v.longBytes } : undefined;
    case 'fork':
    case 'escape':
      return { id, action: v.action };
    default:
      return undefined;
  }
}

export function parseChaosAck(text: string): ChaosAck | undefined {
  const v = parseWithId(text);
  if (v === undefined) return undefined;
  return {
    id: v.id,
    ...(isInt(v.childPid) ? { childPid: v.childPid } : {}),
    ...(isInt(v.escapedPid) ? { escapedPid: v.escapedPid } : {}),
  };
}
