// Azure Resource Manager failures as the gRPC statuses a host can act on.
// Every message names the operation and ARM's own error code (operators
// search for it); the hint says what to do. ARM answers errors as
// {"error": {"code": "AuthorizationFailed", "message": "..."}}, which the SDK
// turns into a RestError with that code and the HTTP status.
import { PluginError } from '../../src/sdk/errors.js';
import type { StatusName } from '../../src/sdk/errors.js';
import type { StopMode } from './config.js';

export type VmOperation = 'get' | 'instanceView' | 'list' | 'deallocate' | 'powerOff' | 'start';

/** Each operation's RBAC action (docs/azure.md's role lists exactly these). */
export const ACTIONS: Readonly<Record<VmOperation, string>> = {
  get: 'Microsoft.Compute/virtualMachines/read',
  instanceView: 'Microsoft.Compute/virtualMachines/read',
  list: 'Microsoft.Compute/virtualMachines/read',
  deallocate: 'Microsoft.Compute/virtualMachines/deallocate/action',
  powerOff: 'Microsoft.Compute/virtualMachines/powerOff/action',
  start: 'Microsoft.Compute/virtualMachines/start/action',
};

export interface ErrorContext {
  readonly operation: VmOperation;
  /** The VM's ARM id, for messages. */
  readonly resource?: string;
  readonly stopMode?: StopMode;
  /** SNOOZEBOT_AZURE_ARM_ENDPOINT, for messages. */
  readonly endpoint?: string;
}

const ROLE_HINT = 'the minimal role is in docs/azure.md';
const UNAUTHENTICATED = new Set(['InvalidAuthenticationToken', 'InvalidAuthenticationTokenAudience', 'ExpiredAuthenticationToken', 'AuthenticationFailed', 'InvalidAuthenticationTokenTenant']);
const NOT_FOUND = new Set(['ResourceNotFound', 'ResourceGroupNotFound', 'SubscriptionNotFound', 'NotFound', 'ParentResourceNotFound']);
const THROTTLED = new Set(['TooManyRequests', 'SubscriptionRequestsThrottled', 'TenantRequestsThrottled', 'OperationThrottled']);
const CONFLICT = new Set(['Conflict', 'OperationNotAllowed', 'OperationPreempted', 'PropertyChangeNotAllowed', 'ConflictingUserInput']);
const CAPACITY = new Set(['AllocationFailed', 'ZonalAllocationFailed', 'OverconstrainedAllocationRequest', 'OverconstrainedZonalAllocationRequest', 'SkuNotAvailable']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const CREDENTIAL_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError']);

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function chain(error: unknown): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  for (let e = record(error), depth = 0; e !== undefined && depth < 5; e = record(e.cause), depth++) found.push(e);
  return found;
}

/** ARM's error code and status, from a RestError or from a failed long-running operation. */
export function armError(error: unknown): { code: string; status: number | undefined; message: string } | undefined {
  const e = record(error);
  if (e === undefined) return undefined;
  const lro = /^The long-running operation has failed\. ([^.\s]+)\. ([\s\S]*)$/.exec(text(error));
  if (lro !== null) return { code: lro[1] ?? 'Failed', status: undefined, message: lro[2] ?? '' };
  if (e.name !== 'RestError' || typeof e.statusCode !== 'number') return undefined;
  const code = typeof e.code === 'string' && e.code !== '' ? e.code : `HTTP ${e.statusCode}`;
  return { code, status: e.statusCode, message: text(error) };
}

/** The RBAC action ARM names in an AuthorizationFailed message. */
export function deniedAction(message: string): string | undefined {
  return /perform action '([^']+)'/.exec(message)?.[1];
}

function fromArmError(arm: { code: string; status: number | undefined; message: string }, context: ErrorContext, cause: unknown): PluginError {
  const head = `Azure virtualMachines.${context.operation} failed: ${arm.code}`;
  const message = (status: StatusName, body: string, hint: string) => new PluginError(status, `${head}: ${body}`, { hint, cause });
  const said = arm.message || '(no message)';
  const { code, status } = arm;

  if (code === 'AuthorizationFailed' || code === 'LinkedAuthorizationFailed' || status === 403) {
    const action = deniedAction(said) ?? ACTIONS[context.operation];
    return message('PERMISSION_DENIED', `this plugin's identity may not perform ${action}: ${said}`, `add ${action} to the identity's role (${ROLE_HINT}); role assignments take a few minutes to apply`);
  }
  if (UNAUTHENTICATED.has(code) || status === 401) {
    return message('UNAUTHENTICATED', said, "ARM refused the token: check the managed identity (or AZURE_CLIENT_ID and its secret), and that this machine's clock is right");
  }
  if (NOT_FOUND.has(code) || status === 404) {
    return message(
      'NOT_FOUND',
      said,
      `check ${context.resource ?? 'the subscription, resource group and VM name'}: SNOOZEBOT_AZURE_SUBSCRIPTION_ID, ` +
        'SNOOZEBOT_AZURE_RESOURCE_GROUP and SNOOZEBOT_AZURE_VM_NAME, when set, win over IMDS',
    );
  }
  if (THROTTLED.has(code) || status === 429) {
    return message('UNAVAILABLE', `Azure Resource Manager is throttling this subscription's requests: ${said}`, 'try again in a minute; other tools calling ARM in this subscription share the same limits');
  }
  if (context.stopMode === 'hibernate' && /hibernat/i.test(said)) {
    return message(
      'FAILED_PRECONDITION',
      said,
      'hibernation must be enabled on the VM (additionalCapabilities.hibernationEnabled) on a size and image that support it; set SNOOZEBOT_AZURE_STOP_MODE=deallocate to stop it normally',
    );
  }
  if (CAPACITY.has(code)) {
    return message('UNAVAILABLE', said, 'the region or zone has no capacity for this VM size right now; try again later, or resize the VM');
  }
  if (CONFLICT.has(code) || status === 409) {
    return message('FAILED_PRECONDITION', said, 'the VM is changing state or another operation is running on it; wait until it is running or deallocated and try again');
  }
  if (status === 400) return message('INVALID_ARGUMENT', said, 'check SNOOZEBOT_AZURE_VM_NAME and SNOOZEBOT_AZURE_LIST_TAG');
  if (status !== undefined && status >= 500) return message('UNAVAILABLE', said, 'Azure had a problem on its side; try again later');
  if (status === undefined) {
    return message('ABORTED', said, 'the operation failed in Azure; see the VM\'s activity log');
  }
  return new PluginError('UNKNOWN', `${head}: ${said}`, { cause });
}

/** Any failure of an ARM call, as the PluginError the host will see. */
export function toPluginError(error: unknown, context: ErrorContext, hostCancelled = false): PluginError {
  if (error instanceof PluginError) return error;
  const links = chain(error);
  const op = `Azure virtualMachines.${context.operation}`;
  if (links.some((e) => typeof e.name === 'string' && CREDENTIAL_ERRORS.has(e.name))) {
    return new PluginError('UNAUTHENTICATED', `${op} failed: no usable Azure credentials: ${text(error).replace(/\s+/g, ' ').slice(0, 600)}`, {
      hint:
        'give the VM a managed identity (system-assigned, or user-assigned with SNOOZEBOT_AZURE_CLIENT_ID) and a role with the actions in docs/azure.md; ' +
        'off Azure, set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET',
      cause: error,
    });
  }
  const aborted = links.some((e) => e.name === 'AbortError');
  if (aborted && hostCancelled) return new PluginError('CANCELLED', `${op} was cancelled: ${text(error)}`, { cause: error });
  const arm = armError(error);
  if (arm !== undefined) return fromArmError(arm, context, error);
  const where = context.endpoint ?? 'Azure Resource Manager';
  if (/non-TLS protected/.test(text(error))) {
    return new PluginError('INVALID_ARGUMENT', `${op} failed: ${where} is not an https:// address: ${text(error)}`, {
      hint: 'Azure\'s client sends tokens over HTTPS only: set SNOOZEBOT_AZURE_ARM_ENDPOINT to an https:// URL',
      cause: error,
    });
  }
  if (aborted || links.some((e) => /timed? ?out/i.test(String(e.message ?? '')) && e.code !== 'ECONNREFUSED')) {
    return new PluginError('DEADLINE_EXCEEDED', `${op} failed: ${where} did not answer in time`, {
      hint: 'check outbound HTTPS to management.azure.com (network security group, route, proxy); SNOOZEBOT_AZURE_REQUEST_TIMEOUT_MS sets the limit',
      cause: error,
    });
  }
  const tls = links.map((e) => e.code).find((c): c is string => typeof c === 'string' && TLS_CODES.has(c));
  if (tls !== undefined) {
    return new PluginError('UNAVAILABLE', `${op} failed: the TLS certificate of ${where} is not trusted (${tls})`, {
      hint: 'a TLS-inspecting proxy needs its CA in NODE_EXTRA_CA_CERTS in the plugin\'s environment',
      cause: error,
    });
  }
  const network = links.map((e) => e.code).find((c): c is string => typeof c === 'string' && NETWORK_CODES.has(c));
  if (network !== undefined || links.some((e) => e.code === 'REQUEST_SEND_ERROR')) {
    return new PluginError('UNAVAILABLE', `${op} failed: cannot reach ${where} (${network ?? 'REQUEST_SEND_ERROR'}: ${text(error)})`, {
      hint: 'check outbound HTTPS to management.azure.com from this machine: network security group, route table, proxy or firewall',
      cause: error,
    });
  }
  return new PluginError('INTERNAL', `${op} failed: ${text(error)}`, { cause: error });
}
