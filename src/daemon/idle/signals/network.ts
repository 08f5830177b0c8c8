// Network traffic from /proc/net/dev: two header lines, then one line per
// interface, "  eth0: <16 counters>": 8 receive counters (bytes first), then
// 8 transmit counters (bytes first). Loopback is left out: it is the machine
// talking to itself (this daemon's own API included), not someone using it.
import { readProcFile } from './proc-file.js';
import { join } from 'node:path';
import { FieldCursor } from './proc-fields.js';
import { SignalParseError, excerpt } from './signal-error.js';

export interface NetworkBytes {
  /** Bytes received since boot, summed over every interface but lo. */
  readonly rxBytes: number;
  /** Bytes sent since boot, summed over every interface but lo. */
  readonly txBytes: number;
  readonly interfaces: number;
}

const HEADER = 'Inter-|';
const HEADER_LINES = 2;
const RECEIVE_FIELDS = 8;

function counter(cursor: FieldCursor, what: string, text: string, start: number, end: number): number {
  const value = cursor.integer();
  if (value === undefined || Number.isNaN(value)) throw new SignalParseError(`/proc/net/dev: no ${what} count in ${excerpt(text.slice(start, end))}`);
  return value;
}

/** Whether text[start, colon) is "lo" with blanks around it, without cutting it out. */
function isLoopback(text: string, start: number, colon: number): boolean {
  let pos = start;
  while (pos < colon && text.charCodeAt(pos) === 0x20) pos++;
  if (!text.startsWith('lo', pos)) return false;
  for (pos += 2; pos < colon; pos++) if (text.charCodeAt(pos) !== 0x20) return false;
  return true;
}

export function parseNetworkBytes(text: string): NetworkBytes {
  if (!text.startsWith(HEADER)) throw new SignalParseError(`/proc/net/dev does not start with its "${HEADER}" header: ${excerpt(text)}`);
  const cursor = new FieldCursor(text);
  for (let i = 0; i < HEADER_LINES; i++) cursor.nextLine();
  let rxBytes = 0;
  let txBytes = 0;
  let interfaces = 0;
  while (!cursor.atEnd) {
    const start = cursor.position;
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    // Old kernels print "eth0:123" with no space when the count is wide, and
    // names are free-form; the counters never hold ':', so the last one ends the name.
    const colon = text.lastIndexOf(':', end - 1);
    if (colon < start) {
      if (text.slice(start, end).trim() !== '') throw new SignalParseError(`/proc/net/dev line without "name:": ${excerpt(text.slice(start, end))}`);
    } else if (!isLoopback(text, start, colon)) {
      cursor.moveTo(colon + 1);
      rxBytes += counter(cursor, 'received bytes', text, start, end);
      for (let i = 1; i < RECEIVE_FIELDS; i++) cursor.skipField();
      txBytes += counter(cursor, 'sent bytes', text, start, end);
      interfaces++;
    }
    cursor.moveTo(end);
    cursor.nextLine();
  }
  return { rxBytes, txBytes, interfaces };
}

export async function readNetworkBytes(root: string): Promise<NetworkBytes> {
  return parseNetworkBytes(readProcFile(join(root, 'proc/net/dev')));
}
