// What a plugin author implements: the CloudProvider service in plain
// TypeScript types. The SDK turns these into the protobuf messages.

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
  /** GetAPIVersion; defaults to "1". */
  readonly apiVersion?: string;
  getInstanceInfo(signal: AbortSignal): Promise<InstanceDetails>;
  listInstances(signal: AbortSignal): Promise<readonly InstanceDetails[]>;
  stopInstance(signal: AbortSignal): Promise<OperationOutcome>;
  startInstance(signal: AbortSignal): Promise<OperationOutcome>;
}
