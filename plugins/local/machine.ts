// What the local machine says about itself, read from the OS. Every path is
// taken under `root` so tests can point the reader at a fixture tree.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface MachineFacts {
  readonly id: string;
  readonly hostname: string;
  readonly vendor: string;
  readonly product: string;
  readonly bootTime: Date | undefined;
}

async function readTrimmed(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    // Missing (containers, non-x86) or root-only DMI files are normal: the fact is just unknown.
    return '';
  }
}

/** /proc/stat's "btime" line: seconds since the epoch at boot. */
export function parseBootTime(procStat: string): Date | undefined {
  const match = /^btime\s+(\d+)\s*$/m.exec(procStat);
  return match?.[1] === undefined ? undefined : new Date(Number(match[1]) * 1000);
}

export async function readMachineFacts(root = '/', host: () => string = hostname): Promise<MachineFacts> {
  const dmi = (name: string) => readTrimmed(join(root, 'sys/class/dmi/id', name));
  const [machineId, productUuid, vendor, product, procStat] = await Promise.all([
    readTrimmed(join(root, 'etc/machine-id')),
    dmi('product_uuid'),
    dmi('sys_vendor'),
    dmi('product_name'),
    readTrimmed(join(root, 'proc/stat')),
  ]);
  return {
    // machine-id is stable across reboots and readable without root; the DMI
    // uuid is the fallback on images that do not have one.
    id: machineId || productUuid.toLowerCase() || host(),
    hostname: host(),
    vendor,
    product,
    bootTime: parseBootTime(procStat),
  };
}
