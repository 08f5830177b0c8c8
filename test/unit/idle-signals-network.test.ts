import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseNetworkBytes, readNetworkBytes } from '../../src/daemon/idle/signals/network.js';
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
