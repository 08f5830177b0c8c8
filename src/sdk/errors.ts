// Errors a plugin implementation throws to choose the gRPC status its host sees.
import { status } from '@grpc/grpc-js';

export type StatusName = Exclude<keyof typeof status, number>;

/**
 * Thrown by a CloudProvider implementation to answer with a specific gRPC
 * status. Any other error is answered as UNKNOWN with its message.
 */
export class PluginError extends Error {
  override readonly name = 'PluginError';
  readonly code: StatusName;
  readonly hint: string | undefined;

  constructor(code: StatusName, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }
}

/** The text a host shows: the message and, when there is one, what to do about it. */
export function describePluginError(error: PluginError): string {
  return error.hint === undefined ? error.message : `${error.message} (${error.hint})`;
}
