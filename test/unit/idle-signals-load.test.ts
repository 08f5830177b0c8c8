import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseLoadAverages, readLoadAverages } from '../../src/daemon/idle/signals/load.js';
import { SignalParseError } from '../../src/daemon/idle/signals/signal-error.js';
import { REPO_ROOT } from '../helpers/paths.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/proc');

describe('load averages', () => {
  it('parses /proc/loadavg', async () => {
    assert.deepEqual(parseLoadAverages('0.05 0.87 1.39 1/88 30794\n'), { load1: 0.05, load5: 0.87, load15: 1.39 });
    assert.deepEqual(await readLoadAverages(join(FIXTURES, 'server')), { load1: 2.31, load5: 1.87, load15: 1.52 });
    assert.deepEqual(await readLoadAverages(join(FIXTURES, 'vm')), { load1: 0, load5: 0.1, load15: 0.68 });
  });

  it('takes a big machine\'s load', () => {
    assert.deepEqual(parseLoadAverages('128.50 96.25 64.00 130/4000 123456'), { load1: 128.5, load5: 96.25, load15: 64 });
  });

  it('rejects empty, short or non-numeric text', async () => {
    assert.throws(() => parseLoadAverages(''), SignalParseError);
    assert.throws(() => parseLoadAverages('0.05 0.87\n'), /15-minute/);
    assert.throws(() => parseLoadAverages('high 0.87 1.39 1/88 1\n'), /1-minute/);
    assert.throws(() => parseLoadAverages('-1 0.87 1.39 1/88 1\n'), /1-minute/);
    await assert.rejects(readLoadAverages('/nonexistent/root'), { code: 'ENOENT' });
  });
});
