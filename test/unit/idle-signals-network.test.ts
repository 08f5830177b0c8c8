import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdleSampler } from '../../src/daemon/idle/sampler.js';
import { DEFAULT_IDLE_THRESHOLDS } from '../../src/daemon/idle/settings.js';
import type { SignalReading } from '../../src/daemon/idle/status.js';
import { interfacePattern } from '../../src/daemon/idle/signals/interfaces.js';
import { NetworkMeter } from '../../src/daemon/idle/signals/network-meter.js';
import { parseNetworkBytes, readNetworkBytes } from '../../src/daemon/idle/signals/network.js';
import type { InterfaceBytes } from '../../src/daemon/idle/signals/network.js';
import { SignalParseError } from '../../src/daemon/idle/signals/signal-error.js';
import { REPO_ROOT } from '../helpers/paths.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/proc');
const HEADER =
  'Inter-|   Receive                                                |  Transmit\n' +
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';

const line = (name: string, rx: number, tx: number) => `${name.padStart(6)}: ${rx} 10 0 0 0 0 0 0 ${tx} 20 0 0 0 0 0 0\n`;

describe('network bytes from /proc/net/dev', () => {
  it("sums this VM's interfaces but lo", async () => {
    assert.deepEqual(await readNetworkBytes(join(FIXTURES, 'vm')), { rxBytes: 756272723, txBytes: 2363072, interfaces: 3 });
  });

  it('reads long names (docker bridges, veths) and leaves out lo', async () => {
    assert.deepEqual(await readNetworkBytes(join(FIXTURES, 'server')), {
      rxBytes: 73826374821 + 1928374 + 2837465 + 0 + 1000,
      txBytes: 9283746512 + 82736455 + 1827364 + 0 + 2000,
      interfaces: 5,
    });
  });

  it('reads the old format with no space between the colon and a wide count', async () => {
    assert.deepEqual(await readNetworkBytes(join(FIXTURES, 'old-kernel')), { rxBytes: 4294967295, txBytes: 987654321 + 420, interfaces: 2 });
  });

  it('cuts the name at the last colon', () => {
    assert.deepEqual(parseNetworkBytes(HEADER + line('eth0:1', 5, 6) + line('a:b:c', 7, 8)), { rxBytes: 12, txBytes: 14, interfaces: 2 });
  });

  it('leaves out only lo, not names that start with it', () => {
    assert.deepEqual(parseNetworkBytes(HEADER + line('lo', 1000, 1000) + line('lo0', 1, 2) + line('lowpan0', 3, 4)), { rxBytes: 4, txBytes: 6, interfaces: 2 });
  });

  it('is zero with only loopback or no interface at all', () => {
    assert.deepEqual(parseNetworkBytes(HEADER + line('lo', 1000, 1000)), { rxBytes: 0, txBytes: 0, interfaces: 0 });
    assert.deepEqual(parseNetworkBytes(HEADER), { rxBytes: 0, txBytes: 0, interfaces: 0 });
    assert.deepEqual(parseNetworkBytes(HEADER + '\n' + line('eth0', 1, 2).trimEnd()), { rxBytes: 1, txBytes: 2, interfaces: 1 });
  });

  it('rejects a missing header, lines without a name or counters, and garbage counters', async () => {
    assert.throws(() => parseNetworkBytes(''), SignalParseError);
    assert.throws(() => parseNetworkBytes(line('eth0', 1, 2)), /header/);
    assert.throws(() => parseNetworkBytes(HEADER + 'eth0 1 2 3\n'), /without "name:"/);
    assert.throws(() => parseNetworkBytes(HEADER + '  eth0: 1 2 3\n'), /no sent bytes count/);
    assert.throws(() => parseNetworkBytes(HEADER + '  eth0: x 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n'), /no received bytes count/);
    await assert.rejects(readNetworkBytes('/nonexistent/root'), { code: 'ENOENT' });
  });
});

/**
 * A machine running a container: every byte the container sends shows on its
 * veth, again on docker0 and once more on eth0. /sys/class/net links eth0 to
 * its (virtio) device; the veth and the bridge have none, as in the kernel.
 */
class ContainerHost {
  readonly root: string;
  now = 1_800_000_000_000;
  #counters = { eth0: [5_000_000, 1_000_000], docker0: [70_000, 90_000], veth1a2b3c4: [80_000, 60_000] } as Record<string, [number, number]>;

  private constructor(root: string) {
    this.root = root;
  }

  static async create(t: { after(fn: () => Promise<void>): void }): Promise<ContainerHost> {
    const root = await mkdtemp(join(tmpdir(), 'snoozebot-net-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    await cp(join(FIXTURES, 'vm'), root, { recursive: true });
    await mkdir(join(root, 'sys/devices/pci0000:00/0000:00:03.0/virtio2'), { recursive: true });
    await mkdir(join(root, 'sys/class/net/eth0'), { recursive: true });
    await symlink(join(root, 'sys/devices/pci0000:00/0000:00:03.0/virtio2'), join(root, 'sys/class/net/eth0/device'));
    for (const name of ['lo', 'docker0', 'veth1a2b3c4']) await mkdir(join(root, 'sys/class/net', name), { recursive: true });
    const host = new ContainerHost(root);
    await host.write();
    return host;
  }

  /** The container sends `bytes`: the veth receives them from it, docker0 forwards them, eth0 sends them out. */
  async containerSends(bytes: number, ms: number): Promise<void> {
    this.now += ms;
    this.#counters.veth1a2b3c4![0] += bytes;
    this.#counters.docker0![0] += bytes;
    this.#counters.eth0![1] += bytes;
    await this.write();
  }

  async write(): Promise<void> {
    const lines = Object.entries(this.#counters).map(([name, [rx, tx]]) => line(name, rx, tx));
    await writeFile(join(this.root, 'proc/net/dev'), HEADER + line('lo', 9_999_999, 9_999_999) + lines.join(''));
  }

  sampler(networkInterfaces: readonly string[] | null = null): IdleSampler {
    return new IdleSampler({ root: this.root, thresholds: DEFAULT_IDLE_THRESHOLDS, checks: [], toolPath: '', now: () => this.now, networkInterfaces });
  }
}

describe('only real interfaces count', () => {
  const network = (readings: readonly SignalReading[]): SignalReading => {
    const found = readings.find((r) => r.signal === 'network');
    assert.ok(found);
    return found;
  };

  it('a container sending 100 KiB/s counts once, on eth0, not on its veth and docker0 too', async (t) => {
    const host = await ContainerHost.create(t);
    const sampler = host.sampler();
    await sampler.prime();
    await host.containerSends(1_024_000, 10_000);
    const reading = network(await sampler.sample());
    assert.deepEqual(reading, {
      signal: 'network',
      value: 102_400,
      threshold: 51_200,
      unit: 'B/s',
      busy: true,
      detail: 'received 0 B/s, sent 102400 B/s on eth0',
      interfaces: ['eth0'],
    });
  });

  it('idle.networkInterfaces replaces the default: named interfaces and patterns only', async (t) => {
    const host = await ContainerHost.create(t);
    const sampler = host.sampler(['veth*']);
    await sampler.prime();
    await host.containerSends(10_000, 10_000);
    const reading = network(await sampler.sample());
    assert.deepEqual([reading.value, reading.interfaces, reading.detail], [1_000, ['veth1a2b3c4'], 'received 1000 B/s, sent 0 B/s on veth1a2b3c4']);
    const none = host.sampler(['wg0']);
    await none.prime();
    await host.containerSends(10_000, 10_000);
    const nothing = network(await none.sample());
    assert.deepEqual([nothing.value, nothing.interfaces, nothing.detail], [0, [], 'received 0 B/s, sent 0 B/s (no interface matches idle.networkInterfaces)']);
  });

  it('where no interface has a device (a container), every interface but lo counts, and the status says so', async (t) => {
    const host = await ContainerHost.create(t);
    await rm(join(host.root, 'sys'), { recursive: true });
    const sampler = host.sampler();
    await sampler.prime();
    await host.containerSends(10_000, 10_000);
    const reading = network(await sampler.sample());
    assert.deepEqual([reading.value, reading.interfaces], [3_000, ['eth0', 'docker0', 'veth1a2b3c4']]);
    assert.match(reading.detail ?? '', /on every interface but lo \(none has a device under \/sys\/class\/net\)$/);
  });
});

describe('NetworkMeter', () => {
  const at = (name: string, rx: number, tx: number): InterfaceBytes => ({ name, rxBytes: rx, txBytes: tx });

  it('an interface that comes up starts counting at the next sample, not with everything it carried before', () => {
    const meter = new NetworkMeter();
    assert.deepEqual(meter.measure([at('eth0', 100, 100)], ['eth0'], 0), { kind: 'pending', why: 'first' });
    assert.deepEqual(meter.measure([at('eth0', 1100, 100), at('wg0', 9e9, 9e9)], ['eth0', 'wg0'], 1000), { kind: 'rate', rxPerSecond: 1000, txPerSecond: 0 });
    assert.deepEqual(meter.measure([at('eth0', 1100, 100), at('wg0', 9e9 + 500, 9e9)], ['eth0', 'wg0'], 2000), { kind: 'rate', rxPerSecond: 500, txPerSecond: 0 });
  });

  it('an interface that goes away is simply not counted; a counter that goes down gives no rate once', () => {
    const meter = new NetworkMeter();
    meter.measure([at('eth0', 100, 100), at('wg0', 50, 50)], ['eth0', 'wg0'], 0);
    assert.deepEqual(meter.measure([at('eth0', 200, 100)], ['eth0', 'wg0'], 1000), { kind: 'rate', rxPerSecond: 100, txPerSecond: 0 });
    assert.deepEqual(meter.measure([at('eth0', 10, 100)], ['eth0'], 2000), { kind: 'pending', why: 'went-down' });
    assert.deepEqual(meter.measure([at('eth0', 10, 100)], ['eth0'], 2000), { kind: 'pending', why: 'no-time' });
  });
});

describe('interfacePattern', () => {
  it('"*" matches any run of characters; everything else stands for itself', () => {
    assert.ok(interfacePattern('ens*').test('ens5'));
    assert.ok(interfacePattern('ens*').test('ens'));
    assert.ok(!interfacePattern('ens*').test('eth0'));
    assert.ok(interfacePattern('eth0.100').test('eth0.100'));
    assert.ok(!interfacePattern('eth0.100').test('eth0x100'));
    assert.ok(interfacePattern('*0').test('wg0'));
  });
});
