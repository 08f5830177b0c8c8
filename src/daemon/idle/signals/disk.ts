// Disk traffic from /proc/diskstats (Documentation/admin-guide/iostats.rst):
// "major minor name" and then 11 counters (kernels before 4.18), 15 (4.18
// added discards) or 17 (5.5 added flushes). The 3rd counter is sectors
// read, the 7th sectors written; a sector here is always 512 bytes, whatever
// the device's own sector size.
//
// Only whole physical disks count. A partition's I/O is already in its
// disk's counters, and device-mapper (LVM, LUKS) and md (RAID) devices pass
// their I/O on to disks that are counted too; loop, ram and zram devices are
// memory or files on another disk.
import { readProcFile } from './proc-file.js';
import { join } from 'node:path';
import { FieldCursor } from './proc-fields.js';
import { SignalParseError, excerpt } from './signal-error.js';

export interface DiskBytes {
  /** Bytes read since boot, summed over whole disks. */
  readonly readBytes: number;
  /** Bytes written since boot, summed over whole disks. */
  readonly writtenBytes: number;
  readonly disks: number;
}

const SECTOR_BYTES = 512;
/** The oldest whole-disk format; 2.6 kernels wrote only 4 counters for partitions, which are skipped before this applies. */
const MIN_COUNTERS = 11;
const SECTORS_READ = 2;
const SECTORS_WRITTEN = 6;
const LAYERED_PREFIXES = ['loop', 'ram', 'zram', 'dm-', 'md'] as const;

function isLayered(name: string): boolean {
  for (const prefix of LAYERED_PREFIXES) if (name.startsWith(prefix)) return true;
  return false;
}

const ZERO = 0x30;
const NINE = 0x39;
const P = 0x70;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/**
 * Whether `name` is a partition of a device in `names`. The kernel names
 * partitions after their disk: "sda" → "sda1", and when the disk's name ends
 * in a digit, with a 'p' between: "nvme0n1" → "nvme0n1p1", "mmcblk0" →
 * "mmcblk0p1". Asking for the parent keeps whole disks whose names end in a
 * digit ("sr0", "nbd0") from looking like partitions.
 */
export function isPartition(name: string, names: ReadonlySet<string>): boolean {
  let end = name.length;
  while (end > 0 && isDigit(name.charCodeAt(end - 1))) end--;
  if (end === name.length || end === 0) return false;
  if (end >= 2 && name.charCodeAt(end - 1) === P && isDigit(name.charCodeAt(end - 2)) && names.has(name.slice(0, end - 1))) return true;
  return names.has(name.slice(0, end));
}

/** Whether the counters of device `name` are counted (see the file comment). */
export function isWholeDisk(name: string, names: ReadonlySet<string>): boolean {
  return !isLayered(name) && !isPartition(name, names);
}

export function parseDiskBytes(text: string): DiskBytes {
  const cursor = new FieldCursor(text);
  // Partitions are told apart by their disk's name, so first every name.
  const names = new Set<string>();
  while (!cursor.atEnd) {
    if (cursor.skipField() && cursor.skipField()) {
      const name = cursor.field();
      if (name !== undefined) names.add(name);
    }
    cursor.nextLine();
  }
  cursor.moveTo(0);
  let readBytes = 0;
  let writtenBytes = 0;
  let disks = 0;
  while (!cursor.atEnd) {
    const start = cursor.position;
    const blank = !cursor.skipField();
    const name = !blank && cursor.skipField() ? cursor.field() : undefined;
    if (!blank && name === undefined) throw new SignalParseError(`/proc/diskstats line without a device name: ${excerpt(lineAt(text, start))}`);
    if (name !== undefined && isWholeDisk(name, names)) {
      let read = Number.NaN;
      let written = Number.NaN;
      let counters = 0;
      for (let value = cursor.integer(); value !== undefined; value = cursor.integer()) {
        if (Number.isNaN(value)) throw new SignalParseError(`/proc/diskstats counter ${counters + 1} of ${name} is not a number: ${excerpt(lineAt(text, start))}`);
        if (counters === SECTORS_READ) read = value;
        else if (counters === SECTORS_WRITTEN) written = value;
        counters++;
      }
      if (counters < MIN_COUNTERS) throw new SignalParseError(`/proc/diskstats line for ${name} has ${counters} counters, expected at least ${MIN_COUNTERS}: ${excerpt(lineAt(text, start))}`);
      readBytes += read * SECTOR_BYTES;
      writtenBytes += written * SECTOR_BYTES;
      disks++;
    }
    cursor.nextLine();
  }
  return { readBytes, writtenBytes, disks };
}

function lineAt(text: string, start: number): string {
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? text.length : end);
}

export async function readDiskBytes(root: string): Promise<DiskBytes> {
  return parseDiskBytes(readProcFile(join(root, 'proc/diskstats')));
}
