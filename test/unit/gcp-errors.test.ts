// Compute Engine failures → gRPC statuses, from Google's JSON error bodies as
// gaxios hands them over (response.status and response.data).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialsError, operationError, parseGoogleError, toPluginError } from '../../plugins/gcp/errors.js';
import type { ErrorContext } from '../../plugins/gcp/errors.js';
import { PluginError, describePluginError } from '../../src/sdk/errors.js';

const STOP: ErrorContext = { method: 'instances.stop', resource: 'projects/p/zones/z/instances/i', endpoint: 'https://compute.googleapis.com/compute/v1' };

function httpError(status: number, reason: string, message: string, grpcStatus?: string): Error {
  const data = { error: { code: status, message, errors: [{ reason, message, domain: 'global' }], ...(grpcStatus === undefined ? {} : { status: grpcStatus }) } };
  return Object.assign(new Error(message), { status, response: { status, data } });
}

function mapped(error: unknown, context: ErrorContext = STOP, cancelled = false) {
  const result = toPluginError(error, context, cancelled);
  return { code: result.code, text: describePluginError(result) };
}

describe('gcp toPluginError: Google JSON errors', () => {
  it('403 forbidden → PERMISSION_DENIED naming the permission', () => {
    const { code, text } = mapped(httpError(403, 'forbidden', "Required 'compute.instances.stop' permission for 'projects/p/zones/z/instances/i'"));
    assert.equal(code, 'PERMISSION_DENIED');
    assert.match(text, /^Compute instances\.stop failed: forbidden: this plugin's service account may not call instances\.stop \(compute\.instances\.stop\)/);
    assert.match(text, /grant compute\.instances\.stop/);
  });

  it('insufficient scopes → PERMISSION_DENIED about access scopes, not IAM', () => {
    const { code, text } = mapped(httpError(403, 'ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'Request had insufficient authentication scopes.', 'PERMISSION_DENIED'));
    assert.equal(code, 'PERMISSION_DENIED');
    assert.match(text, /access scopes/);
  });

  it('throttling (429, or 403 rateLimitExceeded) → UNAVAILABLE', () => {
    assert.equal(mapped(httpError(429, 'rateLimitExceeded', 'Rate Limit Exceeded', 'RESOURCE_EXHAUSTED')).code, 'UNAVAILABLE');
    assert.equal(mapped(httpError(403, 'userRateLimitExceeded', 'slow down')).code, 'UNAVAILABLE');
  });

  it('401, 404, resourceNotReady / 409, 400, 5xx', () => {
    assert.equal(mapped(httpError(401, 'required', 'Request is missing required authentication credential.', 'UNAUTHENTICATED')).code, 'UNAUTHENTICATED');
    const notFound = mapped(httpError(404, 'notFound', "The resource 'projects/p/zones/z/instances/i' was not found"));
    assert.equal(notFound.code, 'NOT_FOUND');
    assert.match(notFound.text, /check projects\/p\/zones\/z\/instances\/i/);
    assert.equal(mapped(httpError(400, 'resourceNotReady', 'The resource is not ready')).code, 'FAILED_PRECONDITION');
    assert.equal(mapped(httpError(409, 'conflict', 'busy')).code, 'FAILED_PRECONDITION');
    assert.equal(mapped(httpError(400, 'invalid', 'Invalid value for field')).code, 'INVALID_ARGUMENT');
    assert.equal(mapped(httpError(503, 'backendError', 'Backend Error')).code, 'UNAVAILABLE');
  });

  it('a body that is not Google JSON still gives the status and the text', () => {
    const error = Object.assign(new Error('x'), { response: { status: 502, data: '<html>Bad Gateway</html>' } });
    const { code, text } = mapped(error);
    assert.equal(code, 'UNAVAILABLE');
    assert.match(text, /HTTP 502: <html>Bad Gateway/);
    assert.equal(parseGoogleError('not json', 500), undefined);
    assert.deepEqual(parseGoogleError({ error: { code: 403, message: 'm', details: [{ reason: 'IAM_PERMISSION_DENIED' }] } }, 403)?.reasons, ['IAM_PERMISSION_DENIED']);
  });
});

describe('gcp toPluginError: before Compute answers', () => {
  it('an abort is CANCELLED when the host cancelled, else the request timed out (DEADLINE_EXCEEDED)', () => {
    // node-fetch's AbortError, whose class name minifying loses: type "aborted".
    const abort = Object.assign(new Error('The operation was aborted.'), { cause: Object.assign(new Error('The operation was aborted.'), { type: 'aborted' }) });
    assert.equal(mapped(abort, STOP, true).code, 'CANCELLED');
    const timeout = mapped(abort, STOP, false);
    assert.equal(timeout.code, 'DEADLINE_EXCEEDED');
    assert.match(timeout.text, /did not answer in time/);
  });

  it('network errors → UNAVAILABLE naming the endpoint; anything else → INTERNAL; a PluginError passes through', () => {
    const refused = Object.assign(new Error('request failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const { code, text } = mapped(refused);
    assert.equal(code, 'UNAVAILABLE');
    assert.match(text, /cannot reach https:\/\/compute\.googleapis\.com\/compute\/v1 \(ECONNREFUSED/);
    assert.equal(mapped(new TypeError('x is not a function')).code, 'INTERNAL');
    const own = new PluginError('NOT_FOUND', 'mine');
    assert.equal(toPluginError(own, STOP), own);
  });

  it('credentials that cannot be had → UNAUTHENTICATED with what to attach', () => {
    const error = credentialsError(new Error('Could not load the default credentials.'), STOP);
    assert.equal(error.code, 'UNAUTHENTICATED');
    assert.match(describePluginError(error), /no usable Google credentials: Could not load the default credentials.*GOOGLE_APPLICATION_CREDENTIALS/);
  });

  it('operation errors: capacity, quota, conflict, anything else', () => {
    assert.equal(operationError('instances.start', 'op', [{ code: 'ZONE_RESOURCE_POOL_EXHAUSTED' }], 503).code, 'UNAVAILABLE');
    assert.equal(operationError('instances.start', 'op', [{ code: 'QUOTA_EXCEEDED' }], 403).code, 'RESOURCE_EXHAUSTED');
    assert.equal(operationError('instances.stop', 'op', [{ code: 'RESOURCE_NOT_READY' }], 400).code, 'FAILED_PRECONDITION');
    const other = operationError('instances.stop', 'op-9', [{ code: 'WEIRD', message: 'odd' }], 500);
    assert.equal(other.code, 'ABORTED');
    assert.match(other.message, /instances\.stop operation op-9 failed: WEIRD: odd/);
  });
});
