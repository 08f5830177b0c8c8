// The observed-state diagram: moves it allows pass, others throw.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTransition, IllegalTransitionError, TRANSITIONS } from '../../src/daemon/supervisor/states.js';
import type { ObservedState } from '../../src/daemon/supervisor/states.js';

describe('checkTransition', () => {
  it('accepts every move on the diagram from an expected state', () => {
    for (const [from, tos] of Object.entries(TRANSITIONS) as Array<[ObservedState, readonly ObservedState[]]>) {
      for (const to of tos) assert.doesNotThrow(() => checkTransition('p', from, to, [from]));
    }
  });

  it('refuses a move the diagram does not have', () => {
    assert.throws(() => checkTransition('aws', 'stopped', 'serving', ['stopped']), (error: unknown) => {
      assert.ok(error instanceof IllegalTransitionError);
      assert.equal(error.code, 'ILLEGAL_TRANSITION');
      assert.match(error.message, /plugin aws: illegal transition stopped → serving \(not on the state diagram\)/);
      return true;
    });
    assert.throws(() => checkTransition('p', 'failed', 'serving', ['failed']), IllegalTransitionError);
    assert.throws(() => checkTransition('p', 'stopping', 'starting', ['stopping']), IllegalTransitionError);
  });

  it('refuses a move from a state the caller did not expect, even one on the diagram', () => {
    assert.throws(() => checkTransition('p', 'backoff', 'starting', ['stopped']), /expected the plugin to be stopped/);
  });

  it('no state is a dead end, and only refused can be re-entered', () => {
    for (const [from, tos] of Object.entries(TRANSITIONS)) {
      assert.ok(tos.length > 0, `${from} leads somewhere`);
      if (from !== 'refused') assert.ok(!tos.includes(from as ObservedState), `${from} does not lead to itself`);
    }
  });
});
