// EC2 failures → gRPC statuses, with the SDK's own exception class for
// service errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { asServiceError, toPluginError, withoutEncodedMessage } from '../../plugins/aws/errors.js';
import type { ErrorContext } from '../../plugins/aws/errors.js';
import { PluginError, describePluginError } from '../../src/sdk/errors.js';

function ec2Error(code: string, message: string, status = 400, attempts = 1): EC2ServiceException {
  return new EC2ServiceException({
    name: code,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, attempts, requestId: 'req-1' },
    message,
  });
}

const STOP: ErrorContext = { action: 'StopInstances', instanceId: 'i-0123456789abcdef0', region: 'eu-west-1' };

function mapped(error: unknown, context: ErrorContext = STOP): { code: string; text: string } {
  const result = toPluginError(error, context);
  assert.ok(result instanceof PluginError);
  return { code: result.code, text: describePluginError(result) };
}

describe('toPluginError: EC2 service errors', () => {
  it('IncorrectInstanceState → FAILED_PRECONDITION with the AWS code and message', () => {
    const { code, text } = mapped(ec2Error('IncorrectInstanceState', "The instance 'i-1' is not in a state from which it can be stopped."));
    assert.equal(code, 'FAILED_PRECONDITION');
    assert.match(text, /^EC2 StopInstances failed: IncorrectInstanceState: The instance 'i-1' is not in a state/);
    assert.match(text, /wait until it is running or stopped/);
  });

  it('UnauthorizedOperation → PERMISSION_DENIED naming the missing action, without the encoded blob', () => {
    for (const action of ['DescribeInstances', 'StopInstances', 'StartInstances'] as const) {
      const { code, text } = mapped(
        ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation. Encoded authorization failure message: QUJD', 403),
        { action },
      );
      assert.equal(code, 'PERMISSION_DENIED');
      assert.match(text, new RegExp(`may not call ec2:${action}`));
      assert.match(text, new RegExp(`allow ec2:${action} in the instance role's policy`));
      assert.doesNotMatch(text, /QUJD/);
    }
  });

  it('InvalidInstanceID.* → NOT_FOUND naming the instance and region', () => {
    for (const aws of ['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']) {
      const { code, text } = mapped(ec2Error(aws, "The instance ID 'i-0123456789abcdef0' does not exist"));
      assert.equal(code, 'NOT_FOUND', aws);
      assert.match(text, new RegExp(aws.replace('.', '\\.')));
      assert.match(text, /instance i-0123456789abcdef0 in region eu-west-1/);
    }
  });

  it('throttling (after the SDK gave up) → UNAVAILABLE saying how many attempts', () => {
    for (const aws of ['RequestLimitExceeded', 'Throttling', 'ThrottlingException']) {
      const { code, text } = mapped(ec2Error(aws, 'Request limit exceeded.', 503, 3), { action: 'DescribeInstances' });
      assert.equal(code, 'UNAVAILABLE', aws);
      assert.match(text, /throttling this account's requests after 3 attempts/);
    }
  });

  it('refused credentials → UNAUTHENTICATED', () => {
    for (const aws of ['AuthFailure', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'RequestExpired']) {
      const { code, text } = mapped(ec2Error(aws, 'AWS was not able to validate the provided access credentials', 401));
      assert.equal(code, 'UNAUTHENTICATED', aws);
      assert.match(text, /credentials were refused/);
    }
  });

  it('hibernation refused → FAILED_PRECONDITION with hibernation advice when hibernating', () => {
    const error = ec2Error('UnsupportedHibernationConfiguration', "The instance 'i-1' does not have hibernation configured.");
    const { code, text } = mapped(error, { ...STOP, hibernate: true });
    assert.equal(code, 'FAILED_PRECONDITION');
    assert.match(text, /hibernation must be enabled when the instance is launched/);
    assert.match(text, /unset SNOOZEBOT_AWS_HIBERNATE/);
  });

  it('server-side errors → UNAVAILABLE; bad parameters → INVALID_ARGUMENT; anything else → UNKNOWN with the request id', () => {
    assert.equal(mapped(ec2Error('InternalError', 'An internal error has occurred.', 500)).code, 'UNAVAILABLE');
    assert.equal(mapped(ec2Error('SomethingNew', 'odd', 502)).code, 'UNAVAILABLE');
    assert.equal(mapped(ec2Error('InvalidParameterValue', 'bad filter')).code, 'INVALID_ARGUMENT');
    const other = mapped(ec2Error('OptInRequired', 'You are not subscribed to this service.'));
    assert.equal(other.code, 'UNKNOWN');
    assert.match(other.text, /EC2 StopInstances failed: OptInRequired: You are not subscribed to this service\. \(request id req-1\)/);
  });

  it('recognises service errors by their shape, and nothing else', () => {
    assert.equal(asServiceError(ec2Error('X', 'y'))?.name, 'X');
    assert.equal(asServiceError(new Error('plain')), undefined);
    assert.equal(asServiceError({ name: 'X', $fault: 'maybe' }), undefined);
    assert.equal(asServiceError('text'), undefined);
  });
});

describe('toPluginError: failures before EC2 answers', () => {
  it('no credentials → UNAUTHENTICATED telling to attach an instance role with the three actions', () => {
    const error = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    const { code, text } = mapped(error, { action: 'DescribeInstances' });
    assert.equal(code, 'UNAUTHENTICATED');
    assert.match(text, /no AWS credentials found/);
    assert.match(text, /attach an instance role with ec2:DescribeInstances, ec2:StopInstances, ec2:StartInstances/);
  });

  it('network failures → UNAVAILABLE naming the endpoint, also when nested as a cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const direct = mapped(refused, { ...STOP, endpoint: 'http://127.0.0.1:9' });
    assert.equal(direct.code, 'UNAVAILABLE');
    assert.match(direct.text, /cannot reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED/);
    assert.match(direct.text, /VPC endpoint/);
    const nested = mapped(new Error('request failed', { cause: refused }));
    assert.equal(nested.code, 'UNAVAILABLE');
    assert.match(nested.text, /the EC2 endpoint of eu-west-1/);
    const timeout = mapped(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    assert.equal(timeout.code, 'UNAVAILABLE');
  });

  it('a cancelled call → CANCELLED; a PluginError passes through; anything else → INTERNAL', () => {
    assert.equal(mapped(Object.assign(new Error('aborted'), { name: 'AbortError' })).code, 'CANCELLED');
    const own = new PluginError('NOT_FOUND', 'mine');
    assert.equal(toPluginError(own, STOP), own);
    const odd = mapped(new TypeError('x is not a function'));
    assert.equal(odd.code, 'INTERNAL');
    assert.match(odd.text, /EC2 StopInstances failed: x is not a function/);
  });

  it('withoutEncodedMessage cuts EC2\'s encoded authorization message', () => {
    assert.equal(withoutEncodedMessage('Not allowed. Encoded authorization failure message: abc123'), 'Not allowed.');
    assert.equal(withoutEncodedMessage('Not allowed.'), 'Not allowed.');
  });
});
