// The Azure Resource Manager calls the plugin makes, through
// @azure/arm-compute with @azure/identity's credentials: the VM's managed
// identity (system-assigned, or the user-assigned one whose client id is set)
// first, then the library's default chain (environment, workload identity,
// Azure CLI …) for use off Azure. Long-running operations (deallocate,
// power-off, start) are polled through their Azure-AsyncOperation/Location
// headers until done or the deadline. provider.ts loads this module on the
// first call.
import { ComputeManagementClient } from '@azure/arm-compute';
import { ChainedTokenCredential, DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import type { TokenCredential } from '@azure/identity';
import type { StopMode } from './config.js';
import type { ErrorContext, VmOperation } from './errors.js';
import { toPluginError } from './errors.js';
import type { InstanceStatus, VmRecord, VmTarget } from './vm.js';
import { resourceIdOf } from './vm.js';

/** Poll interval of long-running operations when ARM sends no Retry-After. */
const POLL_MS = 500;

export type VmChange = StopMode | 'start';

export interface ArmOptions {
  readonly endpoint: string;
  readonly subscriptionId: string;
  readonly clientId: string | undefined;
  readonly requestTimeoutMs: number;
  readonly maxAttempts: number;
  /** Tests may pass their own; the plugin uses the managed identity, then the default chain. */
  readonly credential?: TokenCredential;
}

/** Managed identity first (on a VM it is what an operator means), then the library's default chain. */
export function defaultCredential(clientId: string | undefined): TokenCredential {
  return new ChainedTokenCredential(
    new ManagedIdentityCredential(clientId === undefined ? {} : { clientId }),
    new DefaultAzureCredential(clientId === undefined ? {} : { managedIdentityClientId: clientId }),
  );
}

export class Arm {
  readonly #client: ComputeManagementClient;
  readonly #options: ArmOptions;

  constructor(options: ArmOptions) {
    this.#options = options;
    this.#client = new ComputeManagementClient(options.credential ?? defaultCredential(options.clientId), options.subscriptionId, {
      endpoint: options.endpoint,
      // ARM's token audience is its own root (https://management.azure.com/.default, and so on for other clouds).
      credentials: { scopes: [`${options.endpoint}/.default`] },
      retryOptions: { maxRetries: Math.max(0, options.maxAttempts - 1), retryDelayInMs: 500, maxRetryDelayInMs: 8_000 },
    });
  }

  async #call<T>(context: ErrorContext, signal: AbortSignal, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toPluginError(error, { ...context, endpoint: this.#options.endpoint }, signal.aborted);
    }
  }

  #opts(signal: AbortSignal) {
    return { abortSignal: signal, requestOptions: { timeout: this.#options.requestTimeoutMs } };
  }

  get(target: VmTarget, signal: AbortSignal): Promise<VmRecord> {
    return this.#call({ operation: 'get', resource: resourceIdOf(target) }, signal, () =>
      this.#client.virtualMachines.get(target.resourceGroup, target.vmName, { ...this.#opts(signal), expand: 'instanceView' }),
    );
  }

  instanceView(target: VmTarget, signal: AbortSignal): Promise<readonly InstanceStatus[]> {
    return this.#call({ operation: 'instanceView', resource: resourceIdOf(target) }, signal, async () =>
      (await this.#client.virtualMachines.instanceView(target.resourceGroup, target.vmName, this.#opts(signal))).statuses ?? [],
    );
  }

  list(resourceGroup: string, signal: AbortSignal): Promise<VmRecord[]> {
    return this.#call({ operation: 'list', resource: `/subscriptions/${this.#options.subscriptionId}/resourceGroups/${resourceGroup}` }, signal, async () => {
      const found: VmRecord[] = [];
      for await (const vm of this.#client.virtualMachines.list(resourceGroup, this.#opts(signal))) found.push(vm);
      return found;
    });
  }

  /**
   * Sends the change and polls it until it is done or `deadlineMs` has passed;
   * `finished: false` means ARM accepted it and it was still in progress.
   */
  async change(target: VmTarget, change: VmChange, deadlineMs: number, signal: AbortSignal): Promise<{ finished: boolean }> {
    const operation: VmOperation = change === 'start' ? 'start' : change === 'power-off' ? 'powerOff' : 'deallocate';
    const context: ErrorContext = { operation, resource: resourceIdOf(target), ...(change === 'start' ? {} : { stopMode: change }) };
    const vms = this.#client.virtualMachines;
    const options = { ...this.#opts(signal), updateIntervalInMs: POLL_MS };
    return this.#call(context, signal, async () => {
      const poller =
        change === 'start'
          ? vms.start(target.resourceGroup, target.vmName, options)
          : change === 'power-off'
            ? vms.powerOff(target.resourceGroup, target.vmName, options)
            : vms.deallocate(target.resourceGroup, target.vmName, { ...options, ...(change === 'hibernate' ? { hibernate: true } : {}) });
      await poller.submitted();
      const deadline = AbortSignal.timeout(deadlineMs);
      try {
        await poller.pollUntilDone({ abortSignal: AbortSignal.any([signal, deadline]) });
        return { finished: true };
      } catch (error) {
        if (deadline.aborted && !signal.aborted && !poller.isDone) return { finished: false };
        throw error;
      }
    });
  }
}

