// The GCP provider: the Compute Engine instance this plugin runs on (or the
// one SNOOZEBOT_GCP_PROJECT/ZONE/INSTANCE name), read, stopped or suspended,
// and started or resumed through the Compute API, each change waited on.
import { PluginError } from '../../src/sdk/errors.js';
import type { Logger } from '../../src/sdk/logger.js';
import type { CloudProvider, InstanceDetails, OperationOutcome } from '../../src/sdk/provider.js';
import { rememberPerKey } from '../../src/sdk/remember.js';
import type { KeyValue } from '../../src/sdk/settings.js';
import { VERSION } from '../../src/version.js';
import type { GceInstance, InstanceAction, Target } from './instance.js';
import { createdBy, isManagedByGroup, resourceOf, stateOf, toDetails } from './instance.js';
import type { GcpConfig } from './config.js';
import { ENV } from './config.js';
import type { WaitOptions, ZoneOperation } from './operation.js';
import { waitForOperation } from './operation.js';
import type { Whereabouts } from './where-am-i.js';

/** What the provider needs of Compute Engine (compute.ts's Compute class). */
export interface ComputeApi {
  get(target: Target, signal: AbortSignal): Promise<GceInstance>;
  list(where: Pick<Target, 'project' | 'zone'>, label: KeyValue | undefined, signal: AbortSignal): Promise<GceInstance[]>;
  act(target: Target, action: InstanceAction, discardLocalSsd: boolean, signal: AbortSignal): Promise<ZoneOperation>;
  operation(where: Pick<Target, 'project' | 'zone'>, name: string, signal: AbortSignal): Promise<ZoneOperation>;
}

export interface GcpProviderOptions {
  readonly config: Pick<
    GcpConfig,
    'project' | 'zone' | 'suspend' | 'discardLocalSsd' | 'allowMig' | 'dryRun' | 'listLabel' | 'listLabelError' | 'operationTimeoutMs'
  >;
  readonly logger: Logger;
  readonly whereAmI: () => Promise<Whereabouts>;
  /** A Compute client for a project; called once per project. */
  readonly compute: (project: string) => Promise<ComputeApi>;
  /** Poll timing; tests shorten it. */
  readonly wait?: Omit<WaitOptions, 'deadlineMs'>;
}

export class GcpProvider implements CloudProvider {
  readonly name = 'gcp';
  readonly version = VERSION;
  readonly apiVersion = '1';
  readonly #options: GcpProviderOptions;
  readonly #client: (project: string) => Promise<ComputeApi>;

  constructor(options: GcpProviderOptions) {
    this.#options = options;
    this.#client = rememberPerKey(options.compute);
  }

  async #target(): Promise<Target & { here: Whereabouts }> {
    const here = await this.#options.whereAmI();
    return { project: here.project, zone: here.zone, instance: here.instance, here };
  }

  async getInstanceInfo(signal: AbortSignal): Promise<InstanceDetails> {
    const target = await this.#target();
    const details = toDetails(await (await this.#client(target.project)).get(target, signal));
    // The Compute record is the truth; the metadata server fills in what an odd answer leaves out.
    return {
      ...details,
      ...(details.id === '' && target.here.instanceId !== undefined ? { id: target.here.instanceId } : {}),
      ...(details.type === undefined && target.here.machineType !== undefined ? { type: target.here.machineType } : {}),
    };
  }

  async listInstances(signal: AbortSignal): Promise<InstanceDetails[]> {
    const { listLabel, listLabelError, project, zone } = this.#options.config;
    if (listLabelError !== undefined) {
      throw new PluginError('FAILED_PRECONDITION', `cannot list instances: ${listLabelError}`, {
        hint: `fix or unset ${ENV.listLabel} in the plugin's environment`,
      });
    }
    // Listing needs only the project and zone: those two settings are enough off GCE.
    const where = project !== undefined && zone !== undefined ? { project, zone } : await this.#options.whereAmI();
    const found = await (await this.#client(where.project)).list({ project: where.project, zone: where.zone }, listLabel, signal);
    return found.map(toDetails);
  }

  /** Refuses to touch an instance a managed instance group owns, unless allowed. */
  #checkGroup(target: Target & { here: Whereabouts }, record: GceInstance): void {
    const owner = createdBy(record) ?? target.here.createdBy;
    if (!isManagedByGroup(owner) || this.#options.config.allowMig) return;
    throw new PluginError(
      'FAILED_PRECONDITION',
      `refusing to stop ${resourceOf(target)}: it belongs to the managed instance group ${owner ?? ''}, ` +
        'which may recreate or restart it (autohealing, a resize, an update)',
      {
        hint:
          'resize the group or stop it through the group instead (`gcloud compute instance-groups managed stop-instances`); ' +
          `set ${ENV.allowMig}=true to stop it anyway`,
      },
    );
  }

  async #change(
    target: Target & { here: Whereabouts },
    action: InstanceAction,
    signal: AbortSignal,
  ): Promise<void> {
    const { logger } = this.#options;
    const { discardLocalSsd, operationTimeoutMs } = this.#options.config;
    const compute = await this.#client(target.project);
    const operation = await compute.act(target, action, discardLocalSsd, signal);
    logger.info({ instance: resourceOf(target), operation: operation.name, status: operation.status }, `Compute Engine accepted the ${action}`);
    const outcome = await waitForOperation(
      `instances.${action}`,
      operation,
      (name, s) => compute.operation(target, name, s),
      signal,
      { ...this.#options.wait, deadlineMs: operationTimeoutMs },
    );
    if (outcome.finished) {
      logger.info({ instance: resourceOf(target), operation: outcome.operation.name, polls: outcome.polls }, `the ${action} is done`);
    } else {
      logger.warn(
        { instance: resourceOf(target), operation: outcome.operation.name, polls: outcome.polls, waitedMs: operationTimeoutMs },
        `the ${action} is still RUNNING at the deadline; Compute Engine is carrying it out`,
      );
    }
  }

  async stopInstance(signal: AbortSignal): Promise<OperationOutcome> {
    const target = await this.#target();
    const { suspend, discardLocalSsd, dryRun } = this.#options.config;
    const action: InstanceAction = suspend ? 'suspend' : 'stop';
    // Read first (a read is harmless in a dry run too): the group check needs the record.
    const record = await (await this.#client(target.project)).get(target, signal);
    this.#checkGroup(target, record);
    const fields = { instance: resourceOf(target), action, discardLocalSsd, state: stateOf(record.status) };
    if (dryRun) {
      this.#options.logger.info(fields, `dry run: would ${action} this instance`);
      return;
    }
    this.#options.logger.warn(fields, `asking Compute Engine to ${action} this instance`);
    await this.#change(target, action, signal);
  }

  async startInstance(signal: AbortSignal): Promise<OperationOutcome> {
    const target = await this.#target();
    const record = await (await this.#client(target.project)).get(target, signal);
    // A suspended instance is resumed (its memory comes back); anything else is started.
    const action: InstanceAction = record.status === 'SUSPENDED' || record.status === 'SUSPENDING' ? 'resume' : 'start';
    const fields = { instance: resourceOf(target), action, state: stateOf(record.status) };
    if (this.#options.config.dryRun) {
      this.#options.logger.info(fields, `dry run: would ${action} this instance`);
      return;
    }
    this.#options.logger.info(fields, `asking Compute Engine to ${action} this instance`);
    await this.#change(target, action, signal);
  }
}
