// Runs in its own Node process (started by measure-idle-crowd.ts, with the
// flags of idle-worker.ts): what a sample costs on a crowded machine, 20
// logged-in sessions and 50 network interfaces (a container host: eth0 and
// eth1 physical, the rest veths and bridges), against the plain sample of
// this machine (n1's setting) in the same process, batch for batch
// alternating. The crowd is a fixture root: this machine's /proc/stat,
// loadavg and diskstats, a /proc/net/dev with 50 interfaces, their
// /sys/class/net entries, a utmp with 20 live sessions and a terminal device
// for each. Prints one JSON line (CrowdWorkerResult).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { IdleMonitor } from '../src/daemon/idle/monitor.js';
import { IdleSampler } from '../src/daemon/idle/sampler.js';
import { DEFAULT_IDLE_SETTINGS } from '../src/daemon/idle/settings.js';
import type { IdleSettings } from '../src/daemon/idle/settings.js';
import { USER_PROCESS, UTMP_RECORD_BYTES } from '../src/daemon/idle/signals/sessions.js';

export interface CrowdWorkerResult {
  /** CPU ns per sample with 20 sessions and 50 interfaces, one value per batch. */
  readonly crowdCpuNs: number[];
  /** CPU ns per plain sample of this machine (n1's setting), one value per batch, alternating with the crowd's. */
  readonly plainCpuNs: number[];
  readonly sessions: number;
  readonly interfaces: number;
}

export const CROWD_SESSIONS = 20;
export const CROWD_INTERFACES = 50;
const BATCH = 100;
const PID_BASE = 4_000_000;

function interfaceNames(): string[] {
  const names = ['eth0', 'eth1', 'docker0', 'br-3f2a9c1d7e6b'];
  for (let i = 0; names.length < CROWD_INTERFACES; i += 1) names.push(`veth${(0x1a2b3c0 + i).toString(16)}`);
  return names;
}

function crowdRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'snoozebot-crowd-'));
  mkdirSync(join(root, 'proc/net'), { recursive: true });
  for (const file of ['stat', 'loadavg', 'diskstats']) symlinkSync(`/proc/${file}`, join(root, 'proc', file));
  const names = interfaceNames();
  const header =
    'Inter-|   Receive                                                |  Transmit\n' +
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
  const lines = ['lo', ...names].map((name, i) => `${name.padStart(6)}: ${1_000_000 + i * 7919} 1000 0 0 0 0 0 0 ${2_000_000 + i * 104_729} 900 0 0 0 0 0 0\n`);
  writeFileSync(join(root, 'proc/net/dev'), header + lines.join(''));
  for (const name of names) {
    mkdirSync(join(root, 'sys/class/net', name), { recursive: true });
    if (name.startsWith('eth')) mkdirSync(join(root, 'sys/class/net', name, 'device'));
  }
  mkdirSync(join(root, 'run'));
  mkdirSync(join(root, 'dev/pts'), { recursive: true });
  const records: Buffer[] = [];
  const now = Date.now() / 1000;
  for (let i = 0; i < CROWD_SESSIONS; i += 1) {
    const pid = PID_BASE + i;
    mkdirSync(join(root, 'proc', String(pid)));
    const tty = join(root, 'dev/pts', String(i));
    writeFileSync(tty, '');
    // Half typed a minute ago, half have been away for hours.
    const last = now - (i % 2 === 0 ? 60 : 4 * 3600);
    utimesSync(tty, last, last);
    const b = Buffer.alloc(UTMP_RECORD_BYTES);
    b.writeInt16LE(USER_PROCESS, 0);
    b.writeInt32LE(pid, 4);
    b.write(`pts/${i}`, 8, 32);
    b.write(`user${i}`, 44, 32);
    b.write(`10.0.0.${i + 10}`, 76, 256);
    b.writeUInt32LE(Math.floor(now) - 86_400, 340);
    records.push(b);
  }
  writeFileSync(join(root, 'run/utmp'), Buffer.concat(records));
  return root;
}

function monitorOn(root: string): IdleMonitor {
  const settings: IdleSettings = { ...DEFAULT_IDLE_SETTINGS, graceMs: 0, root };
  return new IdleMonitor({
    settings,
    dryRun: true,
    // An empty PATH: no nvidia-smi or loginctl, whatever this machine has; n1 measures the same.
    sampler: new IdleSampler({ root, thresholds: settings.thresholds, checks: [], toolPath: '' }),
    stopper: { route: () => ({ plugin: 'local', problem: null }), stop: () => Promise.reject(new Error('the bench never stops the machine')) },
    announce: async () => undefined,
    logger: pino({ level: 'silent' }),
  });
}

function cpuNs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) * 1_000;
}

async function batch(monitor: IdleMonitor): Promise<number> {
  const before = cpuNs();
  for (let i = 0; i < BATCH; i += 1) await monitor.tick();
  return (cpuNs() - before) / BATCH;
}

async function main(): Promise<void> {
  const batches = Number(process.argv[2] ?? 20);
  const root = crowdRoot();
  try {
    const crowd = monitorOn(root);
    const plain = monitorOn('/');
    await Promise.all([crowd.start(), plain.start()]);
    // Warm-up, not counted: V8 optimises the sampling code first.
    for (let i = 0; i < 10; i += 1) {
      await batch(crowd);
      await batch(plain);
    }
    const crowdCpuNs: number[] = [];
    const plainCpuNs: number[] = [];
    for (let i = 0; i < batches; i += 1) {
      crowdCpuNs.push(await batch(crowd));
      plainCpuNs.push(await batch(plain));
    }
    const sessions = crowd.status().signals.find((r) => r.signal === 'sessions')?.sessions?.length ?? 0;
    const counted = crowd.status().signals.find((r) => r.signal === 'network')?.interfaces ?? [];
    await Promise.all([crowd.close(), plain.close()]);
    // A crowd the sampler did not see would measure nothing.
    if (sessions !== CROWD_SESSIONS) throw new Error(`the crowd's sampler saw ${sessions} sessions, not ${CROWD_SESSIONS}`);
    if (counted.join() !== 'eth0,eth1') throw new Error(`the crowd's sampler counted ${counted.join(', ')}, not eth0 and eth1`);
    const result: CrowdWorkerResult = { crowdCpuNs, plainCpuNs, sessions, interfaces: CROWD_INTERFACES };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
