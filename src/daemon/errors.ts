// Daemon errors: a stable code per failure, and the HTTP status the API
// answers it with.

export type DaemonErrorCode =
  | 'PLUGIN_UNKNOWN'
  | 'PLUGIN_NAME_INVALID'
  | 'PLUGIN_REFUSED'
  | 'PLUGIN_FAILED'
  | 'PLUGIN_NOT_SERVING'
  | 'PLUGIN_CALL_FAILED'
  | 'NO_DEFAULT_PROVIDER'
  | 'CONFIG_INVALID'
  | 'OPERATION_CANCELLED'
  | 'OUTCOME_UNKNOWN'
  | 'SHUTTING_DOWN';

const HTTP_STATUS: Readonly<Record<DaemonErrorCode, number>> = {
  PLUGIN_UNKNOWN: 404,
  PLUGIN_NAME_INVALID: 400,
  PLUGIN_REFUSED: 409,
  PLUGIN_FAILED: 409,
  PLUGIN_NOT_SERVING: 503,
  PLUGIN_CALL_FAILED: 502,
  NO_DEFAULT_PROVIDER: 409,
  CONFIG_INVALID: 400,
  // Another request changed the plugin's course first (an unload cancelled a waiting load): the request conflicted.
  OPERATION_CANCELLED: 409,
  // The call went out and no answer came back: like any upstream that gave no valid answer.
  OUTCOME_UNKNOWN: 502,
  SHUTTING_DOWN: 503,
};

export class DaemonError extends Error {
  override readonly name = 'DaemonError';
  readonly code: DaemonErrorCode;
  /** For PLUGIN_CALL_FAILED: the host error code and the plugin's gRPC status. */
  readonly details: Readonly<Record<string, string>>;

  constructor(code: DaemonErrorCode, message: string, details: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

/** Plugin names are file names in the plugins directory: no path separators, no dot-dot, nothing hidden. */
export function validatePluginName(name: string): string {
  if (name === '' || name.length > 255 || name.includes('/') || name.includes('\0') || name.startsWith('.')) {
    throw new DaemonError(
      'PLUGIN_NAME_INVALID',
      `invalid plugin name ${JSON.stringify(name.slice(0, 80))}: a plugin's name is its file name in the plugins directory (no "/", not starting with ".")`,
    );
  }
  return name;
}
