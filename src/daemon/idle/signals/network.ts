// Network traffic from /proc/net/dev: two header lines, then one line per
// interface, "  eth0: <16 counters>": 8 receive counters (bytes first), then
// 8 transmit counters (bytes first). Loopback is left out: it is the machine
// talking to itself (this daemon's own API included), not someone using it.
// Which of the others count is interfaces.ts's business.
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

/** One interface's counters since it came up. */
export interface InterfaceBytes {
  readonly name: string;
  readonly rxBytes: number;
  readonly txBytes: number;
}

const HEADER = 'Inter-|';
const HEADER_LINES = 2;
const RECEIVE_FIELDS = 8;
const SPACE = 0x20;

function counter(cursor: FieldCursor, what: string, text: string, start: number, end: number): number {
  const value = cursor.integer();
  if (value === undefined || Number.isNaN(value)) throw new SignalParseError(`/proc/net/dev: no ${what} count in ${excerpt(text.slice(start, end))}`);
  return value;
}

/** text[start, colon) without the blanks the kernel pads names with. */
function nameBetween(text: string, start: number, colon: number): string {
  let from = start;
  while (from < colon && text.charCodeAt(from) === SPACE) from++;
  let to = colon;
  while (to > from && text.charCodeAt(to - 1) === SPACE) to--;
  return text.slice(from, to);
}

/** Every interface's counters in /proc/net/dev text, in the kernel's order, loopback ("lo") left out. */
export function parseInterfaceBytes(text: string): InterfaceBytes[] {
  if (!text.startsWith(HEADER)) throw new SignalParseError(`/proc/net/dev does not start with its "${HEADER}" header: ${excerpt(text)}`);
  const cursor = new FieldCursor(text);
  for (let i = 0; i < HEADER_LINES; i++) cursor.nextLine();
  const interfaces: InterfaceBytes[] = [];
  while (!cursor.atEnd) {
    const start = cursor.position;
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    // Old kernels print "eth0:123" with no space when the count is wide, and
    // names are free-form; the counters never hold ':', so the last one ends the name.
    const colon = text.lastIndexOf(':', end - 1);
    if (colon < start) {
      if (text.slice(start, end).trim() !== '') throw new SignalParseError(`/proc/net/dev line without "name:": ${excerpt(text.slice(start, end))}`);
    } else {
      const name = nameBetween(text, start, colon);
      if (name !== 'lo') {
        cursor.moveTo(colon + 1);
        const rxBytes = counter(cursor, 'received bytes', text, start, end);
        for (let i = 1; i < RECEIVE_FIELDS; i++) cursor.skipField();
        const txBytes = counter(cursor, 'sent bytes', text, start, end);
        interfaces.push({ name, rxBytes, txBytes });
      }
    }
    cursor.moveTo(end);
    cursor.nextLine();
  }
  return interfaces;
}

/** The sums over every interface but lo. */
export function parseNetworkBytes(text: string): NetworkBytes {
  let rxBytes = 0;
  let txBytes = 0;
  const interfaces = parseInterfaceBytes(text);
  for (const entry of interfaces) {
    rxBytes += entry.rxBytes;
    txBytes += entry.txBytes;
  }
  return { rxBytes, txBytes, interfaces: interfaces.length };
}

export function netDevPath(root: string): string {
  return join(root, 'proc/net/dev');
}

export async function readNetworkBytes(root: string): Promise<NetworkBytes> {
  return parseNetworkBytes(readProcFile(netDevPath(root)));
}

export async function readInterfaceBytes(root: string): Promise<InterfaceBytes[]> {
  return parseInterfaceBytes(readProcFile(netDevPath(root)));
}
