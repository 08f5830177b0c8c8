import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rememberPerKey, rememberSuccess } from '../../src/sdk/remember.js';
import { SettingsReader, nonEmpty, parseFlag, parseKeyValue } from '../../src/sdk/settings.js';

describe('plugin settings', () => {
  it('flags: true/1/yes/on and false/0/no/off; anything else undefined', () => {
    for (const yes of ['true', 'TRUE', '1', 'yes', 'on', ' true ']) assert.equal(parseFlag(yes), true, yes);
    for (const no of ['false', '0', 'no', 'off', '', undefined]) assert.equal(parseFlag(no), false, String(no));
    assert.equal(parseFlag('maybe'), undefined);
  });

  it('nonEmpty trims and treats blank as unset; Key=Value splits at the first "="', () => {
    assert.equal(nonEmpty('  x '), 'x');
    assert.equal(nonEmpty('  '), undefined);
    assert.deepEqual(parseKeyValue('a=b=c'), { key: 'a', value: 'b=c' });
    for (const bad of ['a', '=b', 'a=', ' = ']) assert.equal(parseKeyValue(bad), undefined, bad);
  });

  it('SettingsReader: bad values fall back with one warning each, naming the variable and the value', () => {
    const read = new SettingsReader({ F: 'maybe', N: '-3', C: 'Sideways', U: 'ftp://x', OK_N: '250', OK_C: 'Power-Off', OK_U: 'https://h:1/' });
    assert.equal(read.flag('F', true), true);
    assert.equal(read.positiveInt('N', 7), 7);
    assert.equal(read.choice('C', ['a', 'b'] as const, 'a'), 'a');
    assert.equal(read.url('U'), undefined);
    assert.equal(read.positiveInt('OK_N', 7), 250);
    assert.equal(read.choice('OK_C', ['deallocate', 'power-off'] as const, 'deallocate'), 'power-off');
    assert.equal(read.url('OK_U'), 'https://h:1', 'trailing slash dropped');
    assert.equal(read.flag('UNSET'), false);
    assert.equal(read.warnings.length, 4);
    assert.match(read.warnings[0] ?? '', /^F="maybe" is neither true nor false; taking true$/);
    assert.match(read.warnings[1] ?? '', /^N="-3" is not a positive whole number; using 7$/);
    assert.match(read.warnings[2] ?? '', /^C="sideways" is not one of a, b; using a$/);
    assert.match(read.warnings[3] ?? '', /^U="ftp:\/\/x" is not an http:\/\/ or https:\/\/ URL/);
  });

  it('rememberSuccess: one lookup shared and kept; a failure is forgotten', async () => {
    let calls = 0;
    const lookup = rememberSuccess(async () => {
      calls += 1;
      if (calls === 1) throw new Error('down');
      return calls;
    });
    await assert.rejects(lookup(), /down/);
    const [a, b] = await Promise.all([lookup(), lookup()]);
    assert.equal(a, 2);
    assert.equal(b, 2);
    assert.equal(await lookup(), 2);
    assert.equal(calls, 2);
  });

  it('rememberPerKey: one make per key, shared while in flight; a failed key is made again', async () => {
    const made: string[] = [];
    const client = rememberPerKey(async (key: string) => {
      made.push(key);
      if (key === 'bad' && made.filter((k) => k === 'bad').length === 1) throw new Error('cannot');
      return `client ${key}`;
    });
    const [a, b] = await Promise.all([client('eu'), client('eu')]);
    assert.equal(a, 'client eu');
    assert.equal(b, 'client eu');
    assert.equal(await client('us'), 'client us');
    await assert.rejects(client('bad'), /cannot/);
    assert.equal(await client('bad'), 'client bad');
    assert.deepEqual(made, ['eu', 'us', 'bad', 'bad']);
  });
});
