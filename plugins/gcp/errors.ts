// Compute Engine failures as the gRPC statuses a host can act on. Every
// message names the Compute method and Google's own reason (operators search
// for it); the hint says what to do. Google's JSON error format:
// {"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED",
//  "errors": [{"reason": "forbidden", "domain": "global", "message": "..."}]}}
import { PluginError } from '../../src/sdk/errors.js';
import type { StatusName } from '../../src/sdk/errors.js';

export type ComputeMethod =
  | 'instances.get'
  | 'instances.list'
  | 'instances.stop'
  | 'instances.suspend'
  | 'instances.start'
  | 'instances.resume'
  | 'zoneOperations.get';

/** Each method's IAM permission (instances.list needs compute.instances.list, and so on). */
export function permissionOf(method: ComputeMethod): string {
  return `compute.${method}`;
}

export const ALL_METHODS: readonly ComputeMethod[] = [
  'instances.get',
  'instances.list',
  'instances.stop',
  'instances.suspend',
  'instances.start',
  'instances.resume',
  'zoneOperations.get',
];

export interface ErrorContext {
  readonly method: ComputeMethod;
  /** projects/P/zones/Z/instances/I, for messages. */
  readonly resource?: string;
  /** SNOOZEBOT_GCP_COMPUTE_ENDPOINT, for messages. */
  readonly endpoint?: string;
}

/** Google's error body, as far as the plugin reads it. */
export interface GoogleError {
  readonly code: number | undefined;
  readonly message: string;
  readonly status: string | undefined;
  readonly reasons: readonly string[];
}

const ROLE_HINT = 'the custom role in docs/gcp.md lists every permission the plugin uses';
const SCOPE_REASONS = new Set(['ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'insufficientPermissions']);
const THROTTLE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED', 'quotaExceeded']);
const NOT_READY_REASONS = new Set(['resourceNotReady', 'RESOURCE_NOT_READY', 'conflict', 'resourceInUseByAnotherResource']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Google's error body from a response body (parsed JSON or text). */
export function parseGoogleError(body: unknown, httpStatus: number | undefined): GoogleError | undefined {
  let data = body;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data) as unknown;
    } catch {
      return undefined;
    }
  }
  const error = record(record(data)?.error);
  if (error === undefined) return undefined;
  const reasons: string[] = [];
  for (const item of Array.isArray(error.errors) ? error.errors : []) {
    const reason = record(item)?.reason;
    if (typeof reason === 'string') reasons.push(reason);
  }
  for (const detail of Array.isArray(error.details) ? error.details : []) {
    const reason = record(detail)?.reason;
    if (typeof reason === 'string') reasons.push(reason);
  }
  return {
    code: typeof error.code === 'number' ? error.code : httpStatus,
    message: typeof error.message === 'string' ? error.message : '',
    status: typeof error.status === 'string' ? error.status : undefined,
    reasons,
  };
}

/** The HTTP status and body of a failed request (gaxios' GaxiosError shape). */
function httpFailure(error: unknown): { status: number; body: unknown } | undefined {
  const e = record(error);
  const response = record(e?.response);
  const status = typeof response?.status === 'number' ? response.status : typeof e?.status === 'number' ? e.status : undefined;
  if (status === undefined) return undefined;
  return { status, body: response?.data };
}

/** A failure with no answer: a network error code, or "timeout" when the request's deadline passed. */
export function networkCode(error: unknown): string | undefined {
  for (let e = record(error), depth = 0; e !== undefined && depth < 5; e = record(e.cause ?? e.error), depth++) {
    if (e.name === 'TimeoutError' || e.code === 'TimeoutError' || e.type === 'request-timeout') return 'timeout';
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  }
  return undefined;
}

function isAbort(error: unknown): boolean {
  for (let e = record(error), depth = 0; e !== undefined && depth < 5; e = record(e.cause ?? e.error), depth++) {
    // node-fetch (which gaxios uses in Node) marks its abort with type "aborted": its class name does not survive minifying.
    if (e.name === 'AbortError' || e.code === 'AbortError' || e.type === 'aborted') return true;
  }
  return false;
}

function fromGoogleError(google: GoogleError, context: ErrorContext, cause: unknown): PluginError {
  const { method } = context;
  const reason = google.reasons[0] ?? google.status ?? `HTTP ${google.code ?? '?'}`;
  const head = `Compute ${method} failed: ${reason}`;
  const message = (status: StatusName, body: string, hint: string) => new PluginError(status, `${head}: ${body}`, { hint, cause });
  const said = google.message || '(no message)';
  const has = (set: ReadonlySet<string>) => google.reasons.some((r) => set.has(r)) || (google.status !== undefined && set.has(google.status));

  if (google.code === 429 || has(THROTTLE_REASONS) || google.status === 'RESOURCE_EXHAUSTED') {
    return message(
      'UNAVAILABLE',
      `Compute Engine is throttling this project's requests: ${said}`,
      'try again in a minute; other tools calling the Compute API in this project share the same rate limit',
    );
  }
  if (google.code === 401 || google.status === 'UNAUTHENTICATED') {
    return message(
      'UNAUTHENTICATED',
      said,
      'the credentials were refused: check the service account (or GOOGLE_APPLICATION_CREDENTIALS), and that this machine\'s clock is right',
    );
  }
  if (has(SCOPE_REASONS) || /insufficient authentication scopes/i.test(said)) {
    return message(
      'PERMISSION_DENIED',
      `the instance's access scopes do not allow the Compute API: ${said}`,
      'stop the instance and set its access scopes to "Allow full access to all Cloud APIs" (cloud-platform) or to ' +
        'Compute Engine read/write; IAM decides the rest',
    );
  }
  if (google.code === 403 || google.status === 'PERMISSION_DENIED') {
    return message(
      'PERMISSION_DENIED',
      `this plugin's service account may not call ${method} (${permissionOf(method)}): ${said}`,
      `grant ${permissionOf(method)} to the service account (${ROLE_HINT})`,
    );
  }
  if (google.code === 404 || google.status === 'NOT_FOUND') {
    return message(
      'NOT_FOUND',
      said,
      `check ${context.resource ?? 'the project, zone and instance'}: SNOOZEBOT_GCP_PROJECT, SNOOZEBOT_GCP_ZONE and ` +
        'SNOOZEBOT_GCP_INSTANCE, when set, win over the metadata server',
    );
  }
  if (google.code === 409 || has(NOT_READY_REASONS) || google.status === 'FAILED_PRECONDITION' || google.status === 'ABORTED') {
    return message(
      'FAILED_PRECONDITION',
      said,
      'the instance is changing state or another operation is running on it; wait until it is RUNNING or TERMINATED and try again',
    );
  }
  if (google.code === 400 || google.status === 'INVALID_ARGUMENT') {
    return message('INVALID_ARGUMENT', said, 'check SNOOZEBOT_GCP_INSTANCE and SNOOZEBOT_GCP_LIST_LABEL');
  }
  if (google.code !== undefined && google.code >= 500) {
    return message('UNAVAILABLE', said, 'Compute Engine had a problem on its side; try again later');
  }
  return new PluginError('UNKNOWN', `${head}: ${said}`, { cause });
}

/** The credentials could not be had at all (no ADC, no service account, a refused key). */
export function credentialsError(error: unknown, context: ErrorContext): PluginError {
  if (error instanceof PluginError) return error;
  return new PluginError('UNAUTHENTICATED', `Compute ${context.method} failed: no usable Google credentials: ${text(error)}`, {
    hint:
      'on GCE, give the instance a service account (with the cloud-platform access scope) that has the permissions ' +
      `in docs/gcp.md; off GCE, point GOOGLE_APPLICATION_CREDENTIALS at a service account key or a workload identity configuration`,
    cause: error,
  });
}

/**
 * Any failure of a Compute call, as the PluginError the host will see.
 * `hostCancelled`: the host's signal was aborted; any other abort is the
 * request's own timeout (gaxios aborts both the same way).
 */
export function toPluginError(error: unknown, context: ErrorContext, hostCancelled = false): PluginError {
  if (error instanceof PluginError) return error;
  if (isAbort(error) && hostCancelled) {
    return new PluginError('CANCELLED', `Compute ${context.method} was cancelled: ${text(error)}`, { cause: error });
  }
  const http = httpFailure(error);
  if (http !== undefined) {
    const google = parseGoogleError(http.body, http.status) ?? {
      code: http.status,
      message: typeof http.body === 'string' ? http.body.slice(0, 300) : text(error),
      status: undefined,
      reasons: [],
    };
    return fromGoogleError(google, context, error);
  }
  const network = isAbort(error) ? 'timeout' : networkCode(error);
  const where = context.endpoint ?? 'the Compute API';
  if (network === 'timeout') {
    return new PluginError('DEADLINE_EXCEEDED', `Compute ${context.method} failed: ${where} did not answer in time`, {
      hint: 'check outbound HTTPS to compute.googleapis.com (firewall, proxy, Private Google Access in a subnet without external IPs); SNOOZEBOT_GCP_REQUEST_TIMEOUT_MS sets the limit',
      cause: error,
    });
  }
  if (network !== undefined) {
    return new PluginError('UNAVAILABLE', `Compute ${context.method} failed: cannot reach ${where} (${network}: ${text(error)})`, {
      hint: 'check outbound HTTPS to compute.googleapis.com from this machine: firewall rules, routes, proxy, or Private Google Access in a subnet without external IPs',
      cause: error,
    });
  }
  return new PluginError('INTERNAL', `Compute ${context.method} failed: ${text(error)}`, { cause: error });
}

/** A zonal operation that ended with errors: Compute's error codes (e.g. ZONE_RESOURCE_POOL_EXHAUSTED). */
export function operationError(
  method: ComputeMethod,
  operation: string,
  errors: readonly { code?: string; message?: string }[],
  httpStatus: number | undefined,
): PluginError {
  const first = errors[0] ?? {};
  const code = first.code ?? 'UNKNOWN';
  const said = errors.map((e) => `${e.code ?? '?'}: ${e.message ?? ''}`.trim()).join('; ') || '(no message)';
  const head = `Compute ${method} operation ${operation} failed: ${said}`;
  if (/RESOURCE_POOL_EXHAUSTED|STOCKOUT/.test(code)) {
    return new PluginError('UNAVAILABLE', head, { hint: 'the zone has no capacity for this machine type right now; try again later or move the instance to another zone' });
  }
  if (/QUOTA/.test(code)) return new PluginError('RESOURCE_EXHAUSTED', head, { hint: 'a project quota is used up; see IAM & Admin > Quotas' });
  if (/NOT_READY|CONFLICT|IN_USE/.test(code) || httpStatus === 409) {
    return new PluginError('FAILED_PRECONDITION', head, { hint: 'the instance is changing state; wait and try again' });
  }
  if (httpStatus === 403) return new PluginError('PERMISSION_DENIED', head, { hint: `grant ${permissionOf(method)} (${ROLE_HINT})` });
  return new PluginError('ABORTED', head, { hint: 'see the operation in the console or with `gcloud compute operations describe`' });
}
