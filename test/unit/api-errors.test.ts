// Mapping thrown values to API answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError, errorReply, INTERNAL_MESSAGE } from '../../src/daemon/api/errors.js';
import { DaemonError } from '../../src/daemon/errors.js';
import type { DaemonErrorCode } from '../../src/daemon/errors.js';
import { HostError } from '../../src/host/errors.js';

test('DaemonError keeps its code, message and HTTP status', () => {
  const cases: [DaemonErrorCode, number][] = [
    ['PLUGIN_UNKNOWN', 404],
    ['PLUGIN_NAME_INVALID', 400],
    ['PLUGIN_FAILED', 409],
    ['PLUGIN_NOT_SERVING', 503],
    ['NO_DEFAULT_PROVIDER', 409],
    ['SHUTTING_DOWN', 503],
  ];
  for (const [code, status] of cases) {
    const reply = errorReply(new DaemonError(code, `msg ${code}`));
    assert.equal(reply.status, status, code);
    assert.deepEqual(reply.body, { error: { code, message: `msg ${code}` } });
    assert.equal(reply.unexpected, false);
  }
  const withDetails = errorReply(new DaemonError('PLUGIN_CALL_FAILED', 'stop failed', { hostCode: 'PLUGIN_CALL', grpcCode: 'INTERNAL' }));
  assert.equal(withDetails.status, 502);
  assert.deepEqual(withDetails.body.error.details, { hostCode: 'PLUGIN_CALL', grpcCode: 'INTERNAL' });
});

test('HostError is a 502 PLUGIN_CALL_FAILED with the host code and gRPC code', () => {
  const reply = errorReply(new HostError('PLUGIN_CALL', 'StopInstance: DEADLINE_EXCEEDED', { grpcCode: 'DEADLINE_EXCEEDED' }));
  assert.equal(reply.status, 502);
  assert.deepEqual(reply.body, {
    error: { code: 'PLUGIN_CALL_FAILED', message: 'StopInstance: DEADLINE_EXCEEDED', details: { hostCode: 'PLUGIN_CALL', grpcCode: 'DEADLINE_EXCEEDED' } },
  });
  const noGrpc = errorReply(new HostError('PLUGIN_STOPPED', 'plugin stopped'));
  assert.deepEqual(noGrpc.body.error.details, { hostCode: 'PLUGIN_STOPPED' });
});

test('a method the plugin does not implement is a 501 PLUGIN_UNSUPPORTED, not a failed call', () => {
  const reply = errorReply(
    new HostError('PLUGIN_UNSUPPORTED', 'plugin legacy does not implement ListInstances', { grpcCode: 'UNIMPLEMENTED' }),
  );
  assert.equal(reply.status, 501);
  assert.equal(reply.unexpected, false);
  assert.deepEqual(reply.body, {
    error: {
      code: 'PLUGIN_UNSUPPORTED',
      message: 'plugin legacy does not implement ListInstances',
      details: { hostCode: 'PLUGIN_UNSUPPORTED', grpcCode: 'UNIMPLEMENTED' },
    },
  });
});

test('ApiError: its status and extra headers', () => {
  const reply = errorReply(new ApiError('METHOD_NOT_ALLOWED', 'no', { allow: 'GET' }));
  assert.equal(reply.status, 405);
  assert.deepEqual(reply.headers, { allow: 'GET' });
  assert.equal(errorReply(new ApiError('BODY_TOO_LARGE', 'big')).status, 413);
  assert.equal(errorReply(new ApiError('UNSUPPORTED_MEDIA_TYPE', 'xml')).status, 415);
  assert.equal(errorReply(new ApiError('ROUTE_NOT_FOUND', 'where')).status, 404);
  assert.equal(errorReply(new ApiError('BAD_JSON', 'bad')).status, 400);
});

test('anything else is a 500 INTERNAL that shows nothing of the error', () => {
  for (const thrown of [new TypeError('x is undefined at /secret/path'), 'a string', undefined, { code: 'PLUGIN_UNKNOWN' }]) {
    const reply = errorReply(thrown);
    assert.equal(reply.status, 500);
    assert.deepEqual(reply.body, { error: { code: 'INTERNAL', message: INTERNAL_MESSAGE } });
    assert.equal(reply.unexpected, true);
  }
});
