// API errors: the request-level failures the server itself finds (bad path,
// bad body, ...) and the one mapping from any thrown value to the answer the
// client gets: `{ "error": { "code", "message", "details"? } }` with a status.
import { isHostError } from '../../host/errors.js';
import { DaemonError } from '../errors.js';

export type ApiErrorCode =
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PATH_INVALID'
  | 'QUERY_INVALID'
  | 'BAD_JSON'
  | 'BODY_INVALID'
  | 'BODY_TOO_LARGE'
  | 'BODY_INCOMPLETE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TOO_MANY_CONNECTIONS';

const STATUS: Readonly<Record<ApiErrorCode, number>> = {
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PATH_INVALID: 400,
  QUERY_INVALID: 400,
  BAD_JSON: 400,
  BODY_INVALID: 400,
  BODY_TOO_LARGE: 413,
  BODY_INCOMPLETE: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_CONNECTIONS: 503,
};

/** A request the API refuses before it reaches the daemon. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ApiErrorCode;
  /** Extra response headers, e.g. Allow for 405. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ApiErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.headers = headers;
  }

  get httpStatus(): number {
    return STATUS[this.code];
  }
}

/** The JSON body of every error answer; the CLI reads it back. */
export interface ApiErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: Readonly<Record<string, string>>;
  };
}

export interface ErrorReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ApiErrorBody;
  /** True when the error was not expected (a bug): the server logs it with its stack. */
  readonly unexpected: boolean;
}

export const INTERNAL_MESSAGE = "internal error in the snoozebot daemon; see the daemon's log";

/** Maps anything a handler throws to the answer. Pure: logging is the caller's. */
export function errorReply(error: unknown): ErrorReply {
  if (error instanceof ApiError) {
    return {
      status: error.httpStatus,
      headers: error.headers,
      body: { error: { code: error.code, message: error.message } },
      unexpected: false,
    };
  }
  if (error instanceof DaemonError) {
    const hasDetails = Object.keys(error.details).length > 0;
    return {
      status: error.httpStatus,
      headers: {},
      body: { error: { code: error.code, message: error.message, ...(hasDetails ? { details: { ...error.details } } : {}) } },
      unexpected: false,
    };
  }
  if (isHostError(error)) {
    const details: Record<string, string> = { hostCode: error.code };
    if (error.grpcCode !== undefined) details.grpcCode = error.grpcCode;
    // A method the plugin lacks (older builds have no ListInstances) is the
    // plugin's limit, not a broken call: 501, like an HTTP server's own.
    const unsupported = error.code === 'PLUGIN_UNSUPPORTED';
    return {
      status: unsupported ? 501 : 502,
      headers: {},
      body: { error: { code: unsupported ? 'PLUGIN_UNSUPPORTED' : 'PLUGIN_CALL_FAILED', message: error.message, details } },
      unexpected: false,
    };
  }
  return {
    status: 500,
    headers: {},
    body: { error: { code: 'INTERNAL', message: INTERNAL_MESSAGE } },
    unexpected: true,
  };
}
