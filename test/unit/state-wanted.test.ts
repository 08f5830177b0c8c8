// The operator's load/unload requests kept across daemon restarts (state/wanted.ts).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseWanted, WantedStore } from '../../src/daemon/state/wanted.js';

describe('WantedStore', () => {
  it('keeps what it is told across a new store on the same directory, and forgets on request', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'snoozebot-wanted-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const store = new WantedStore(dir);
    assert.equal((await store.load()).wanted.size, 0);
    const at = Date.parse('2026-11-30T10:00:00.000Z');
    await Promise.all([store.set('aws', { state: 'unloaded', at }), store.set('local', { state: 'loaded', at: at + 1 })]);
    const again = new WantedStore(dir);
    const read = await again.load();
    assert.equal(read.problem, undefined);
    assert.deepEqual(read.wanted.get('aws'), { state: 'unloaded', at });
    assert.deepEqual(read.wanted.get('local'), { state: 'loaded', at: at + 1 });
    await again.set('aws', undefined);
    assert.deepEqual([...(await new WantedStore(dir).load()).wanted.keys()], ['local']);
    assert.match(await readFile(join(dir, 'wanted.json'), 'utf8'), /"state": "loaded"/);
  });

  it('a damaged file is reported and ignored: the config decides', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'snoozebot-wanted-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'wanted.json'), '{"plugins": {"aws": {"state": "sleeping"}}}');
    const read = await new WantedStore(dir).load();
    assert.equal(read.wanted.size, 0);
    assert.match(read.problem ?? '', /entry "aws" is not/);
  });

  it('parseWanted names what is wrong', () => {
    assert.match((parseWanted('{') as { problem: string }).problem, /not valid JSON/);
    assert.match((parseWanted('[]') as { problem: string }).problem, /no "plugins" object/);
    assert.ok('wanted' in parseWanted('{"plugins": {}}'));
  });
});
