// ARM failures → gRPC statuses, with the SDK's own RestError for service errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { armError, deniedAction, toPluginError } from '../../plugins/azure/errors.js';
import type { ErrorContext } from '../../plugins/azure/errors.js';
import { PluginError, describePluginError } from '../../src/sdk/errors.js';

const STOP: ErrorContext = { operation: 'deallocate', resource: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v', stopMode: 'deallocate', endpoint: 'https://management.azure.com' };

/** A RestError as @azure/core-rest-pipeline makes it from ARM's {"error": {code, message}}. */
function rest(status: number, code: string, message: string): Error {
  return Object.assign(new Error(message), { name: 'RestError', code, statusCode: status });
}

function mapped(error: unknown, context: ErrorContext = STOP, cancelled = false) {
  const result = toPluginError(error, context, cancelled);
  return { code: result.code, text: describePluginError(result) };
}

describe('azure toPluginError: ARM errors', () => {
  it('AuthorizationFailed → PERMISSION_DENIED naming the action ARM names', () => {
    const message = "The client 'c' with object id 'o' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/deallocate/action' over scope 's'.";
    const { code, text } = mapped(rest(403, 'AuthorizationFailed', message));
    assert.equal(code, 'PERMISSION_DENIED');
    assert.match(text, /^Azure virtualMachines\.deallocate failed: AuthorizationFailed: this plugin's identity may not perform Microsoft\.Compute\/virtualMachines\/deallocate\/action/);
    assert.equal(deniedAction(message), 'Microsoft.Compute/virtualMachines/deallocate/action');
    assert.match(mapped(rest(403, 'AuthorizationFailed', 'no action named'), { operation: 'start' }).text, /virtualMachines\/start\/action/);
  });

  it('401, 404, 429, 409, capacity, 400, 5xx', () => {
    assert.equal(mapped(rest(401, 'InvalidAuthenticationToken', 'bad token')).code, 'UNAUTHENTICATED');
    assert.equal(mapped(rest(404, 'ResourceNotFound', 'gone')).code, 'NOT_FOUND');
    assert.equal(mapped(rest(404, 'ResourceGroupNotFound', 'gone')).code, 'NOT_FOUND');
    assert.equal(mapped(rest(429, 'TooManyRequests', 'slow')).code, 'UNAVAILABLE');
    assert.equal(mapped(rest(409, 'OperationNotAllowed', 'busy')).code, 'FAILED_PRECONDITION');
    assert.equal(mapped(rest(409, 'AllocationFailed', 'full'), { operation: 'start' }).code, 'UNAVAILABLE');
    assert.equal(mapped(rest(400, 'InvalidParameter', 'bad')).code, 'INVALID_ARGUMENT');
    assert.equal(mapped(rest(500, 'InternalServerError', 'oops')).code, 'UNAVAILABLE');
  });

  it('hibernation refused while hibernating → FAILED_PRECONDITION with hibernation advice', () => {
    const { code, text } = mapped(rest(409, 'OperationNotAllowed', 'Hibernation is not enabled on the VM.'), { ...STOP, stopMode: 'hibernate' });
    assert.equal(code, 'FAILED_PRECONDITION');
    assert.match(text, /hibernationEnabled/);
  });

  it('a failed long-running operation keeps ARM\'s code', () => {
    const error = new Error('The long-running operation has failed. AllocationFailed. We do not have sufficient capacity.');
    assert.deepEqual(armError(error), { code: 'AllocationFailed', status: undefined, message: 'We do not have sufficient capacity.' });
    const { code, text } = mapped(error, { operation: 'start' });
    assert.equal(code, 'UNAVAILABLE');
    assert.match(text, /AllocationFailed: We do not have sufficient capacity/);
    assert.equal(mapped(new Error('The long-running operation has failed. Weird. odd')).code, 'ABORTED');
  });
});

describe('azure toPluginError: before ARM answers', () => {
  it('credential errors → UNAUTHENTICATED with what to assign', () => {
    const error = Object.assign(new Error('ChainedTokenCredential authentication failed.'), { name: 'AggregateAuthenticationError' });
    const { code, text } = mapped(error, { operation: 'get' });
    assert.equal(code, 'UNAUTHENTICATED');
    assert.match(text, /no usable Azure credentials.*managed identity/);
  });

  it('aborts: CANCELLED when the host cancelled, DEADLINE_EXCEEDED otherwise', () => {
    const abort = Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });
    assert.equal(mapped(abort, STOP, true).code, 'CANCELLED');
    assert.equal(mapped(abort, STOP, false).code, 'DEADLINE_EXCEEDED');
  });

  it('TLS, network, plain http, anything else', () => {
    const tls = Object.assign(new Error('request failed'), { cause: Object.assign(new Error('unable to verify'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }) });
    assert.match(mapped(tls).text, /not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\).*NODE_EXTRA_CA_CERTS/);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { name: 'RestError', code: 'REQUEST_SEND_ERROR' });
    const network = mapped(refused);
    assert.equal(network.code, 'UNAVAILABLE');
    assert.match(network.text, /cannot reach https:\/\/management\.azure\.com/);
    assert.equal(mapped(new Error('Bearer token authentication is not permitted for non-TLS protected (non-https) URLs.')).code, 'INVALID_ARGUMENT');
    assert.equal(mapped(new TypeError('x is not a function')).code, 'INTERNAL');
    const own = new PluginError('NOT_FOUND', 'mine');
    assert.equal(toPluginError(own, STOP), own);
  });
});
