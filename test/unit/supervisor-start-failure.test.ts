// What the supervisor does with a failed start: a crash is counted and
// retried; a mismatch fails at once without being called a crash; another
// application's plugin is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HandshakeError } from '../../src/handshake/index.js';
import { HostError } from '../../src/host/errors.js';
import { judgeStartFailure } from '../../src/daemon/supervisor/start-failure.js';

function handshakeError(code: 'HANDSHAKE_NETRPC' | 'HANDSHAKE_CORE_VERSION' | 'HANDSHAKE_APP_VERSION' | 'HANDSHAKE_MALFORMED'): HostError {
  return HostError.handshake(new HandshakeError({ code, field: 'line', seen: 'x', expected: 'y' }), [], 'p');
}

describe('judgeStartFailure', () => {
  it('an exit before the handshake is a crash, with the last stderr line', () => {
    const verdict = judgeStartFailure(
      new HostError('PLUGIN_EXITED_EARLY', 'plugin p exited with code 3 before its handshake', { stderrTail: ['first', 'cannot read creds'] }),
    );
    assert.deepEqual(verdict, {
      action: 'crash',
      reason: 'failed to start: plugin p exited with code 3 before its handshake: cannot read creds',
      lastError: 'plugin p exited with code 3 before its handshake: cannot read creds',
    });
  });

  it('a timeout, an unhealthy start, a garbled handshake and anything unknown are crashes too', () => {
    for (const error of [
      new HostError('PLUGIN_START_TIMEOUT', 'plugin p did not print its handshake within 10000 ms'),
      new HostError('PLUGIN_UNHEALTHY', 'plugin p did not report health SERVING'),
      new HostError('PLUGIN_CALL', 'plugin p: GetProviderName failed: UNAVAILABLE: gone'),
      handshakeError('HANDSHAKE_MALFORMED'),
      new Error('boom'),
      'a string',
    ]) {
      assert.equal(judgeStartFailure(error).action, 'crash', String(error));
    }
  });

  it('a stderr line the message already quotes is not added twice', () => {
    const verdict = judgeStartFailure(new HostError('PLUGIN_EXITED_EARLY', 'plugin p exited: said "x"', { stderrTail: ['x'] }));
    assert.equal(verdict.lastError, 'plugin p exited: said "x"');
  });

  it('a mismatch fails at once and is not worded as a crash', () => {
    for (const error of [
      new HostError('PLUGIN_INCOMPATIBLE', 'plugin p: plugin API 2.0.0 is not compatible with this snoozebot\'s API 0.1.0'),
      new HostError('PLUGIN_UNSUPPORTED', 'plugin p does not implement GetProviderName'),
      new HostError('PLUGIN_SCHEMA', 'plugin p answered GetInstanceInfo with a message that is neither …'),
      handshakeError('HANDSHAKE_NETRPC'),
      handshakeError('HANDSHAKE_CORE_VERSION'),
      handshakeError('HANDSHAKE_APP_VERSION'),
    ]) {
      const verdict = judgeStartFailure(error);
      assert.equal(verdict.action, 'fail', error.message);
      assert.equal(verdict.lastError, error.message);
      assert.ok(verdict.reason.startsWith(`cannot load: ${error.message} (not retried`), verdict.reason);
      assert.doesNotMatch(verdict.reason, /crash/);
    }
  });

  it("another application's go-plugin plugin is refused with the host's words", () => {
    const message = 'plugin kv: this is a go-plugin plugin for another application (it asks for a different magic cookie); it is not a snoozebot plugin';
    const verdict = judgeStartFailure(
      new HostError('PLUGIN_FOREIGN', message, { stderrTail: ['This binary is a plugin.', 'load any plugins automatically'] }),
    );
    assert.deepEqual(verdict, { action: 'refuse', reason: message, lastError: message });
  });
});
