// What a plugin author implements: the CloudProvider service in plain
// TypeScript types. The SDK turns these into the protobuf messages.

/** The plugin API this SDK serves, "0.1.0" (the Go snoozebot's current API; see src/handshake/api-version.ts). */
export { API_VERSION } from '../handshake/index.js';

export interface InstanceDetails {
  readonly id: string;
  readonly name?: string;
  readonly type?: string;
  readonly region?: string;
  readonly zone?: string;
  /** Provider's own word, e.g. "running", "stopping", "stopped". */
  readonly state: string;
  readonly launchTime?: Date;
}

/**
 * Resolving means success. A plugin that declines without an error (the
 * protocol's success=false) returns `{ success: false, errorMessage }`; a
 * thrown error becomes a gRPC status (see PluginError).
 */
export type OperationOutcome = void | { readonly success: false; readonly errorMessage: string };

export interface CloudProvider {
  /** GetProviderName, e.g. "aws". */
  readonly name: string;
  /** GetProviderVersion, the plugin's own version. */
  readonly version: string;
  /** GetAPIVersion; defaults to the API this SDK serves (API_VERSION, "0.1.0"). */
  readonly apiVersion?: string;
  getInstanceInfo(signal: AbortSignal): Promise<InstanceDetails>;
  listInstances(signal: AbortSignal): Promise<readonly InstanceDetails[]>;
  stopInstance(signal: AbortSignal): Promise<OperationOutcome>;
  startInstance(signal: AbortSignal): Promise<OperationOutcome>;
}
