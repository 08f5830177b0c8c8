import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closestMatch, editDistance } from '../../src/daemon/config/suggest.js';

const TOP = ['pluginsDir', 'socket', 'stateDir', 'logLevel', 'dryRun', 'defaultProvider', 'autoload', 'defaults', 'plugins'];

describe('closestMatch', () => {
  it('finds typos, swapped letters and other spelling conventions', () => {
    assert.equal(closestMatch('sockte', TOP), 'socket');
    assert.equal(closestMatch('stateDri', TOP), 'stateDir');
    assert.equal(closestMatch('log_level', TOP), 'logLevel');
    assert.equal(closestMatch('DRY-RUN', TOP), 'dryRun');
  });

  it('prefers the known word nearest in length when one is a prefix of the other', () => {
    assert.equal(closestMatch('plugin', TOP), 'plugins');
    assert.equal(closestMatch('pluginsDirectory', TOP), 'pluginsDir');
    assert.equal(closestMatch('warning', ['trace', 'debug', 'info', 'warn', 'error']), 'warn');
  });

  it('suggests nothing for unrelated words', () => {
    assert.equal(closestMatch('timezone', TOP), undefined);
    assert.equal(closestMatch('x', TOP), undefined);
  });
});

describe('editDistance', () => {
  it('counts a transposition as one edit', () => {
    assert.equal(editDistance('ab', 'ba'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('same', 'same'), 0);
  });
});
