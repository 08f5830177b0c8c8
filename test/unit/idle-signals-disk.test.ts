import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isPartition, isWholeDisk, parseDiskBytes, readDiskBytes } from '../../src/daemon/idle/signals/disk.js';
import { SignalParseError } from '../../src/daemon/idle/signals/signal-error.js';
import { REPO_ROOT } from '../helpers/paths.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/proc');

/** A diskstats line of a 5.5+ kernel (17 counters) with `read` and `written` sectors. */
const line = (name: string, read: number, written: number) => `   8       0 ${name} 10 0 ${read} 5 20 0 ${written} 7 0 12 12 0 0 0 0 0 0\n`;

describe('disk bytes from /proc/diskstats', () => {
  it("reads this VM (20-field lines): vda only, not loop or zram", async () => {
    assert.deepEqual(await readDiskBytes(join(FIXTURES, 'vm')), { readBytes: 10556490 * 512, writtenBytes: 8472320 * 512, disks: 1 });
  });

  it('counts whole disks only on a server with partitions, LVM, RAID, loop, ram and zram', async () => {
    // nvme0n1, nvme1n1, sda, mmcblk0, xvda and sr0; not nvme0n1p1/p2, sda1, mmcblk0p1, xvda1, dm-0, md0, loop0, ram0, zram0.
    assert.deepEqual(await readDiskBytes(join(FIXTURES, 'server')), {
      readBytes: (98765432 + 400000 + 64000 + 24000 + 5600 + 56) * 512,
      writtenBytes: (87654321 + 240000 + 32000 + 1600 + 800 + 0) * 512,
      disks: 6,
    });
  });

  it("reads a 2.6 kernel: 11 counters for disks, 4 for partitions", async () => {
    assert.deepEqual(await readDiskBytes(join(FIXTURES, 'old-kernel')), { readBytes: (9550688 + 18532) * 512, writtenBytes: (5922052 + 416) * 512, disks: 2 });
  });

  it('reads the 4.18 format (15 counters)', () => {
    assert.deepEqual(parseDiskBytes('   8       0 sda 10 0 100 5 20 0 200 7 0 12 12 1 0 8 3\n'), { readBytes: 51200, writtenBytes: 102400, disks: 1 });
  });

  it('tells partitions from whole disks by their parent', () => {
    const names = new Set(['sda', 'sda1', 'sdaa', 'sdaa12', 'nvme0n1', 'nvme0n1p1', 'nvme10n2', 'nvme10n2p15', 'mmcblk0', 'mmcblk0p1', 'mmcblk0boot0', 'vda', 'vda2', 'xvda', 'xvda1', 'sr0', 'nbd0', 'hda', 'hda3']);
    for (const partition of ['sda1', 'sdaa12', 'nvme0n1p1', 'nvme10n2p15', 'mmcblk0p1', 'vda2', 'xvda1', 'hda3']) assert.equal(isPartition(partition, names), true, partition);
    for (const disk of ['sda', 'sdaa', 'nvme0n1', 'nvme10n2', 'mmcblk0', 'mmcblk0boot0', 'vda', 'xvda', 'sr0', 'nbd0', 'hda']) assert.equal(isPartition(disk, names), false, disk);
  });

  it('leaves out device-mapper, md, loop, ram and zram devices', () => {
    const names = new Set<string>();
    for (const layered of ['dm-0', 'dm-12', 'md0', 'md127', 'loop0', 'loop15', 'ram0', 'zram0']) assert.equal(isWholeDisk(layered, names), false, layered);
    for (const disk of ['sda', 'nvme0n1', 'vdb']) assert.equal(isWholeDisk(disk, names), true, disk);
  });

  it('counts a partition listed before its disk as a partition', () => {
    assert.deepEqual(parseDiskBytes(line('sdb1', 100, 100) + line('sda', 1, 2) + line('sdb', 100, 100)), { readBytes: 101 * 512, writtenBytes: 102 * 512, disks: 2 });
  });

  it('is zero with no disks (a container showing only loop devices)', () => {
    assert.deepEqual(parseDiskBytes(line('loop0', 5, 5)), { readBytes: 0, writtenBytes: 0, disks: 0 });
    assert.deepEqual(parseDiskBytes(''), { readBytes: 0, writtenBytes: 0, disks: 0 });
  });

  it('rejects short or garbled lines of whole disks', async () => {
    assert.throws(() => parseDiskBytes('   8       0 sda 1 2 3 4\n'), SignalParseError);
    assert.throws(() => parseDiskBytes('   8       0 sda 1 2 3 4\n'), /4 counters, expected at least 11/);
    assert.throws(() => parseDiskBytes(line('sda', 1, 2).replace(' 10 ', ' ten ')), /counter 1 of sda is not a number/);
    assert.throws(() => parseDiskBytes('   8 0\n'), /without a device name/);
    await assert.rejects(readDiskBytes('/nonexistent/root'), { code: 'ENOENT' });
  });
});
