import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBootTime, readMachineFacts } from '../../plugins/local/machine.js';

// Compiled to dist/js/test/unit; the fixtures stay in the source tree.
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/fixtures/machine');

describe('readMachineFacts', () => {
  it('reads machine-id, DMI and boot time from the tree under root', async () => {
    const facts = await readMachineFacts(join(FIXTURES, 'full'), () => 'fixture-host');
    assert.deepEqual(facts, {
      id: '0123456789abcdef0123456789abcdef',
      hostname: 'fixture-host',
      vendor: 'Acme Computers',
      product: 'Model 42',
      bootTime: new Date(1_700_000_000_000),
    });
  });

  it('falls back to the DMI product uuid, lowercased, without a machine-id', async () => {
    const facts = await readMachineFacts(join(FIXTURES, 'dmi-only'), () => 'fixture-host');
    assert.equal(facts.id, 'ec2a1b2c-3d4e-5f60-7182-93a4b5c6d7e8');
    assert.equal(facts.vendor, '');
    assert.equal(facts.product, '');
    assert.equal(facts.bootTime, undefined);
  });

  it('falls back to the hostname for an empty tree', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sb-local-machine-'));
    try {
      let calls = 0;
      const facts = await readMachineFacts(root, () => {
        calls += 1;
        return 'only-a-hostname';
      });
      assert.deepEqual(facts, {
        id: 'only-a-hostname',
        hostname: 'only-a-hostname',
        vendor: '',
        product: '',
        bootTime: undefined,
      });
      assert.ok(calls >= 1);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('parseBootTime', () => {
  it('reads the btime line as seconds since the epoch', () => {
    assert.deepEqual(parseBootTime('cpu 1 2 3\nbtime 1700000000\nprocesses 5\n'), new Date(1_700_000_000_000));
    assert.deepEqual(parseBootTime('btime\t42'), new Date(42_000));
    assert.deepEqual(parseBootTime('btime 1700000000   \n'), new Date(1_700_000_000_000));
  });

  it('gives undefined without a well-formed btime line', () => {
    assert.equal(parseBootTime(''), undefined);
    assert.equal(parseBootTime('cpu 1 2 3\nprocesses 5\n'), undefined);
    assert.equal(parseBootTime('btime abc\n'), undefined);
    assert.equal(parseBootTime('btime -5\n'), undefined);
    assert.equal(parseBootTime('xbtime 5\n'), undefined);
    assert.equal(parseBootTime('btime 5 6\n'), undefined);
  });
});
