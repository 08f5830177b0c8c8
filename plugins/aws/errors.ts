// EC2 failures as the gRPC statuses a host can act on. Every message names
// the EC2 action and, for service errors, AWS's own error code (operators
// search for it); the hint says what to do.
import { PluginError } from '../../src/sdk/errors.js';
import type { StatusName } from '../../src/sdk/errors.js';

export type Ec2Action = 'DescribeInstances' | 'StopInstances' | 'StartInstances';

export const ALL_ACTIONS: readonly Ec2Action[] = ['DescribeInstances', 'StopInstances', 'StartInstances'];

export interface ErrorContext {
  readonly action: Ec2Action;
  readonly instanceId?: string;
  readonly region?: string;
  /** StopInstances asked for hibernation. */
  readonly hibernate?: boolean;
  /** AWS_ENDPOINT_URL_EC2 when set, for messages. */
  readonly endpoint?: string;
}

const POLICY_HINT = 'the minimal policy is in docs/aws.md';
const ROLE_ACTIONS = ALL_ACTIONS.map((a) => `ec2:${a}`).join(', ');

const THROTTLING = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);
const BAD_CREDENTIALS = new Set([
  'AuthFailure',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'InvalidAccessKeyId',
  'InvalidToken',
]);
const SERVER_SIDE = new Set(['InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable', 'RequestTimeout']);
const BAD_PARAMETERS = new Set(['InvalidParameterValue', 'InvalidParameterCombination', 'InvalidParameter', 'MissingParameter', 'InvalidFilter']);
const HIBERNATION = new Set(['UnsupportedHibernationConfiguration', 'UnsupportedOperation']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
]);

interface ServiceErrorShape {
  readonly name: string;
  readonly message: string;
  readonly status: number | undefined;
  readonly attempts: number | undefined;
  readonly requestId: string | undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

/** An error EC2 answered (the SDK sets $fault and $metadata on those). */
export function asServiceError(error: unknown): ServiceErrorShape | undefined {
  const e = record(error);
  if (e === undefined || (e.$fault !== 'client' && e.$fault !== 'server')) return undefined;
  const metadata = record(e.$metadata);
  const code = typeof e.Code === 'string' ? e.Code : typeof e.name === 'string' ? e.name : 'UnknownError';
  return {
    name: code,
    message: typeof e.message === 'string' ? e.message : '',
    status: typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined,
    attempts: typeof metadata?.attempts === 'number' ? metadata.attempts : undefined,
    requestId: typeof metadata?.requestId === 'string' ? metadata.requestId : undefined,
  };
}

/** EC2's UnauthorizedOperation message ends in a long encoded blob; the hint says how to read it instead. */
export function withoutEncodedMessage(message: string): string {
  const cut = message.search(/\s*Encoded authorization failure message:/i);
  return (cut < 0 ? message : message.slice(0, cut)).trim();
}

function networkCode(error: unknown): string | undefined {
  for (let e = record(error), depth = 0; e !== undefined && depth < 4; e = record(e.cause), depth++) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
    if (e.name === 'TimeoutError') return 'timeout';
  }
  return undefined;
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isNoCredentials(error: unknown): boolean {
  const e = record(error);
  return e?.name === 'CredentialsProviderError' || /could not load credentials/i.test(text(error));
}

function fromServiceError(service: ServiceErrorShape, context: ErrorContext, cause: unknown): PluginError {
  const { action } = context;
  const code = service.name;
  const head = `EC2 ${action} failed: ${code}`;
  const message = (status: StatusName, body: string, hint: string) =>
    new PluginError(status, `${head}: ${body}`, { hint, cause });
  const awsMessage = service.message || '(no message)';

  if (code === 'UnauthorizedOperation' || code === 'AccessDenied' || code === 'AccessDeniedException') {
    return message(
      'PERMISSION_DENIED',
      `this plugin's credentials may not call ec2:${action}: ${withoutEncodedMessage(awsMessage)}`,
      `allow ec2:${action} in the instance role's policy (${POLICY_HINT}); ` +
        '`aws sts decode-authorization-message` decodes the full reason',
    );
  }
  if (code === 'IncorrectInstanceState') {
    return message(
      'FAILED_PRECONDITION',
      awsMessage,
      'the instance is changing state; wait until it is running or stopped and try again',
    );
  }
  if (code.startsWith('InvalidInstanceID')) {
    return message(
      'NOT_FOUND',
      awsMessage,
      `check ${context.instanceId === undefined ? 'the instance id' : `instance ${context.instanceId}`}` +
        `${context.region === undefined ? '' : ` in region ${context.region}`}: ` +
        'SNOOZEBOT_AWS_INSTANCE_ID and AWS_REGION, when set, win over what IMDS says',
    );
  }
  if (THROTTLING.has(code)) {
    const tries = service.attempts === undefined ? '' : ` after ${service.attempts} attempt${service.attempts === 1 ? '' : 's'}`;
    return message(
      'UNAVAILABLE',
      `EC2 is throttling this account's requests${tries}: ${awsMessage}`,
      'try again in a minute; other tools calling EC2 from this account share the same request limit',
    );
  }
  if (BAD_CREDENTIALS.has(code)) {
    return message(
      'UNAUTHENTICATED',
      awsMessage,
      'the AWS credentials were refused: check the instance role or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ' +
        "and that this machine's clock is right",
    );
  }
  if (HIBERNATION.has(code) && context.hibernate === true) {
    return message(
      'FAILED_PRECONDITION',
      awsMessage,
      'hibernation must be enabled when the instance is launched (HibernationOptions.Configured) and needs an ' +
        'encrypted root volume large enough for RAM; unset SNOOZEBOT_AWS_HIBERNATE to stop it normally',
    );
  }
  if (code === 'UnsupportedOperation') {
    return message('FAILED_PRECONDITION', awsMessage, `EC2 cannot ${action === 'StartInstances' ? 'start' : 'stop'} this kind of instance`);
  }
  if (BAD_PARAMETERS.has(code)) {
    return message('INVALID_ARGUMENT', awsMessage, 'check SNOOZEBOT_AWS_INSTANCE_ID and SNOOZEBOT_AWS_LIST_TAG');
  }
  if (SERVER_SIDE.has(code) || (service.status !== undefined && service.status >= 500)) {
    return message('UNAVAILABLE', awsMessage, 'EC2 had a problem on its side; try again later');
  }
  return new PluginError(
    'UNKNOWN',
    `${head}: ${awsMessage}${service.requestId === undefined ? '' : ` (request id ${service.requestId})`}`,
    { cause },
  );
}

/** Any failure of an EC2 call, as the PluginError the host will see. */
export function toPluginError(error: unknown, context: ErrorContext): PluginError {
  if (error instanceof PluginError) return error;
  if (record(error)?.name === 'AbortError') {
    return new PluginError('CANCELLED', `EC2 ${context.action} was cancelled: ${text(error)}`, { cause: error });
  }
  if (isNoCredentials(error)) {
    return new PluginError('UNAUTHENTICATED', `EC2 ${context.action} failed: no AWS credentials found (${text(error)})`, {
      hint:
        `attach an instance role with ${ROLE_ACTIONS} to this instance (${POLICY_HINT}), ` +
        'or give the plugin AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE',
      cause: error,
    });
  }
  const service = asServiceError(error);
  if (service !== undefined) return fromServiceError(service, context, error);
  const network = networkCode(error);
  if (network !== undefined) {
    const where = context.endpoint ?? `the EC2 endpoint of ${context.region ?? 'its region'}`;
    return new PluginError('UNAVAILABLE', `EC2 ${context.action} failed: cannot reach ${where} (${network}: ${text(error)})`, {
      hint:
        'check outbound HTTPS to EC2 from this machine: security group, network ACL, route or NAT, proxy, ' +
        'or an EC2 interface VPC endpoint in private subnets',
      cause: error,
    });
  }
  return new PluginError('INTERNAL', `EC2 ${context.action} failed: ${text(error)}`, { cause: error });
}
