// What a failed StopInstance/StartInstance tells its caller (act-failure.ts),
// and how a failed call is classified by what happened on the wire (delivery.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { actFailure } from '../../src/daemon/act-failure.js';
import { DaemonError } from '../../src/daemon/errors.js';
import { deliveryOf } from '../../src/host/delivery.js';
import { HostError } from '../../src/host/errors.js';

describe('deliveryOf', () => {
  it('a deadline or a cancelled call: sent, no answer', () => {
    assert.equal(deliveryOf(status.DEADLINE_EXCEEDED, true), 'no-answer');
    assert.equal(deliveryOf(status.CANCELLED, true), 'no-answer');
  });
  it('DEADLINE_EXCEEDED before our own deadline is the plugin speaking (its cloud operation ran out of time)', () => {
    assert.equal(deliveryOf(status.DEADLINE_EXCEEDED, true, true), 'answered');
  });
  it('UNAVAILABLE on a connection that is still up is the plugin speaking', () => {
    assert.equal(deliveryOf(status.UNAVAILABLE, true), 'answered');
  });
  it('UNAVAILABLE or INTERNAL with the connection gone: no answer', () => {
    assert.equal(deliveryOf(status.UNAVAILABLE, false), 'no-answer');
    assert.equal(deliveryOf(status.INTERNAL, false), 'no-answer');
  });
  it('a refusal is an answer whatever the connection does next', () => {
    assert.equal(deliveryOf(status.PERMISSION_DENIED, false), 'answered');
    assert.equal(deliveryOf(status.FAILED_PRECONDITION, true), 'answered');
  });
});

describe('actFailure', () => {
  const call = (delivery: 'not-sent' | 'answered' | 'no-answer', grpcCode = 'UNAVAILABLE') =>
    new HostError('PLUGIN_CALL', `plugin aws: StopInstance failed: ${grpcCode}`, { grpcCode, delivery });

  it('never sent: PLUGIN_NOT_SERVING, which the idle monitor may retry', () => {
    const error = actFailure('aws', 'StopInstance', call('not-sent'));
    assert.ok(error instanceof DaemonError);
    assert.equal(error.code, 'PLUGIN_NOT_SERVING');
    assert.match(error.message, /StopInstance was not sent/);
    const stopped = actFailure('aws', 'StopInstance', new HostError('PLUGIN_STOPPED', 'plugin aws is not serving (it is exited)'));
    assert.equal((stopped as DaemonError).code, 'PLUGIN_NOT_SERVING');
  });

  it('sent with no answer: OUTCOME_UNKNOWN, with what to check', () => {
    const error = actFailure('aws', 'StopInstance', call('no-answer', 'DEADLINE_EXCEEDED'));
    assert.ok(error instanceof DaemonError);
    assert.equal(error.code, 'OUTCOME_UNKNOWN');
    assert.equal(error.httpStatus, 502);
    assert.match(error.message, /^unknown: StopInstance was sent to plugin aws and no answer came back \(DEADLINE_EXCEEDED\)/);
    assert.match(error.message, /snoozebot instance info --plugin aws/);
  });

  it("the plugin's own answer passes through unchanged", () => {
    const answered = call('answered', 'PERMISSION_DENIED');
    assert.equal(actFailure('aws', 'StopInstance', answered), answered);
    const other = new Error('something else');
    assert.equal(actFailure('aws', 'StartInstance', other), other);
  });
});
