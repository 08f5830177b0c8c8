// A fixture /proc tree in a temporary directory, for the idle signal readers:
// the files the kernel would show (stat, loadavg, net/dev, diskstats), with
// counters the test moves forward as if time had passed on a busy or quiet
// machine. Written fresh on every step, like the kernel's own view.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** USER_HZ on Linux. */
const TICKS_PER_SECOND = 100;
const CORES = 2;
export const BOOT_TIME_SECONDS = 1_795_430_000;

export interface Activity {
  /** Fraction of all cores busy, 0..1. */
  readonly cpu?: number;
  /** Bytes received plus sent on eth0. */
  readonly networkBytes?: number;
  /** Bytes read plus written on sda. */
  readonly diskBytes?: number;
  readonly load1?: number;
}

export class ProcTree {
  readonly root: string;
  #busyTicks = 1_000;
  #idleTicks = 100_000;
  #rx = 5_000_000;
  #tx = 1_000_000;
  #loRx = 77_000;
  #sectorsRead = 400_000;
  #sectorsWritten = 200_000;
  #load1 = 0.02;

  private constructor(root: string) {
    this.root = root;
  }

  static async create(t: TestContext): Promise<ProcTree> {
    const root = await mkdtemp(join(tmpdir(), 'snoozebot-proc-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    await mkdir(join(root, 'proc/net'), { recursive: true });
    const tree = new ProcTree(root);
    await tree.write();
    return tree;
  }

  /** `seconds` of `activity` pass; loopback traffic always moves and must never count. */
  async pass(seconds: number, activity: Activity = {}): Promise<void> {
    const ticks = seconds * TICKS_PER_SECOND * CORES;
    const busy = Math.round(ticks * (activity.cpu ?? 0.01));
    this.#busyTicks += busy;
    this.#idleTicks += ticks - busy;
    const net = activity.networkBytes ?? 0;
    this.#rx += Math.ceil(net / 2);
    this.#tx += Math.floor(net / 2);
    this.#loRx += 10_000_000;
    const sectors = Math.round((activity.diskBytes ?? 0) / 512);
    this.#sectorsRead += Math.ceil(sectors / 2);
    this.#sectorsWritten += Math.floor(sectors / 2);
    this.#load1 = activity.load1 ?? 0.02;
    await this.write();
  }

  async write(): Promise<void> {
    const user = Math.floor(this.#busyTicks * 0.7);
    const system = this.#busyTicks - user;
    const cpuLine = (prefix: string, div: number) =>
      `${prefix} ${Math.floor(user / div)} 0 ${Math.floor(system / div)} ${Math.floor(this.#idleTicks / div)} 0 0 0 0 0 0`;
    const stat = [
      cpuLine('cpu ', 1),
      cpuLine('cpu0', CORES),
      cpuLine('cpu1', CORES),
      'intr 1000 0 0',
      'ctxt 123456',
      `btime ${BOOT_TIME_SECONDS}`,
      'processes 4242',
      'procs_running 1',
      'procs_blocked 0',
      '',
    ].join('\n');
    const loadavg = `${this.#load1.toFixed(2)} 0.05 0.01 1/123 4242\n`;
    const netDev = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      `    lo: ${this.#loRx} 100 0 0 0 0 0 0 ${this.#loRx} 100 0 0 0 0 0 0`,
      `  eth0: ${this.#rx} 2000 0 0 0 0 0 0 ${this.#tx} 1500 0 0 0 0 0 0`,
      '',
    ].join('\n');
    const disk = (major: number, minor: number, name: string, read: number, written: number) =>
      `   ${major}       ${minor} ${name} 100 0 ${read} 50 200 0 ${written} 70 0 120 130 0 0 0 0 0 0`;
    const diskstats = [
      disk(8, 0, 'sda', this.#sectorsRead, this.#sectorsWritten),
      // A partition repeats its disk's counters: counting it would double them.
      disk(8, 1, 'sda1', this.#sectorsRead, this.#sectorsWritten),
      disk(7, 0, 'loop0', this.#sectorsRead * 3, 0),
      '',
    ].join('\n');
    await Promise.all([
      writeFile(join(this.root, 'proc/stat'), stat),
      writeFile(join(this.root, 'proc/loadavg'), loadavg),
      writeFile(join(this.root, 'proc/net/dev'), netDev),
      writeFile(join(this.root, 'proc/diskstats'), diskstats),
    ]);
  }
}
