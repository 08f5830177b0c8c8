// Errors of the host side, one class with a stable `code` per failure so the
// daemon and the CLI can branch on it and operators can search for it.
import type { HandshakeError, HandshakeErrorCode } from '../handshake/index.js';
import type { Delivery } from './delivery.js';

export type HostErrorCode =
  | 'PLUGIN_NOT_FOUND'
  /** The host's verify hook refused the file (trust check); the supervisor moves the plugin to `refused`. */
  | 'PLUGIN_UNTRUSTED'
  | 'PLUGIN_CHECKSUM'
  | 'PLUGIN_SPAWN'
  | 'PLUGIN_EXITED_EARLY'
  | 'PLUGIN_HANDSHAKE'
  /** The handshake named an address outside what this start offered (its socket directory, loopback TCP in the port range). */
  | 'PLUGIN_ADDRESS'
  /** The plugin's cgroup could not be made, entered or emptied. */
  | 'PLUGIN_CONTAINMENT'
  | 'PLUGIN_START_TIMEOUT'
  | 'PLUGIN_UNHEALTHY'
  | 'PLUGIN_STOPPED'
  | 'PLUGIN_CALL'
  | 'PLUGIN_OPERATION_FAILED'
  /** The plugin answered UNIMPLEMENTED: it lacks this RPC (older builds lack ListInstances). */
  | 'PLUGIN_UNSUPPORTED'
  /** It answers, but in a version or layout this host does not speak (API version, protocol). */
  | 'PLUGIN_INCOMPATIBLE'
  /** A go-plugin plugin of another application: it wants another magic cookie. */
  | 'PLUGIN_FOREIGN'
  /** An answer that decodes neither as the current message nor as an older layout. */
  | 'PLUGIN_SCHEMA';

export class HostError extends Error {
  override readonly name = 'HostError';
  readonly code: HostErrorCode;
  /** For PLUGIN_CALL: the gRPC status code name the plugin answered with. */
  readonly grpcCode: string | undefined;
  /** The plugin's last stderr lines, when they help explain the failure. */
  readonly stderrTail: readonly string[];
  /** For PLUGIN_CALL: whether the request reached the plugin (delivery.ts). */
  readonly delivery: Delivery | undefined;
  /** For PLUGIN_HANDSHAKE: which part of the line was wrong. */
  readonly handshakeCode: HandshakeErrorCode | undefined;

  constructor(
    code: HostErrorCode,
    message: string,
    options: { cause?: unknown; grpcCode?: string; stderrTail?: readonly string[]; delivery?: Delivery; handshakeCode?: HandshakeErrorCode } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.grpcCode = options.grpcCode;
    this.stderrTail = options.stderrTail ?? [];
    this.delivery = options.delivery;
    this.handshakeCode = options.handshakeCode;
  }

  static handshake(error: HandshakeError, stderrTail: readonly string[], plugin: string): HostError {
    return new HostError('PLUGIN_HANDSHAKE', `plugin ${plugin} sent a bad handshake: ${error.message}`, {
      cause: error,
      stderrTail,
      handshakeCode: error.code,
    });
  }
}

export function isHostError(error: unknown): error is HostError {
  return error instanceof HostError;
}

/** Error message plus the plugin's last stderr lines, for humans. */
export function describeHostError(error: HostError): string {
  if (error.stderrTail.length === 0) return error.message;
  return `${error.message}\nlast lines of the plugin's stderr:\n${error.stderrTail.map((l) => `  ${l}`).join('\n')}`;
}
