// The AWS provider: the EC2 instance this plugin runs on (or the one
// SNOOZEBOT_AWS_INSTANCE_ID names), read and stopped/started through EC2.
import { PluginError } from '../../src/sdk/errors.js';
import type { Logger } from '../../src/sdk/logger.js';
import type { CloudProvider, InstanceDetails, OperationOutcome } from '../../src/sdk/provider.js';
import { API_VERSION } from '../../src/sdk/provider.js';
import { rememberPerKey } from '../../src/sdk/remember.js';
import { VERSION } from '../../src/version.js';
import type { AwsConfig, TagFilter } from './config.js';
import { ENV } from './config.js';
import type { StateChange } from './ec2.js';
import type { Whereabouts } from './where-am-i.js';

/** What the provider needs of EC2 (ec2.ts's Ec2 class). */
export interface Ec2Api {
  describe(instanceId: string, signal: AbortSignal): Promise<InstanceDetails>;
  list(tag: TagFilter | undefined, signal: AbortSignal): Promise<InstanceDetails[]>;
  stop(instanceId: string, hibernate: boolean, signal: AbortSignal): Promise<StateChange>;
  start(instanceId: string, signal: AbortSignal): Promise<StateChange>;
}

export interface AwsProviderOptions {
  readonly config: Pick<AwsConfig, 'region' | 'hibernate' | 'dryRun' | 'listTag' | 'listTagError'>;
  readonly logger: Logger;
  /** Which instance and region (IMDS or the environment); see where-am-i.ts. */
  readonly whereAmI: () => Promise<Whereabouts>;
  /** An EC2 client for a region; called once per region. */
  readonly ec2: (region: string) => Promise<Ec2Api>;
}

export class AwsProvider implements CloudProvider {
  readonly name = 'aws';
  readonly version = VERSION;
  readonly apiVersion = API_VERSION;
  readonly #options: AwsProviderOptions;
  readonly #ec2: (region: string) => Promise<Ec2Api>;

  constructor(options: AwsProviderOptions) {
    this.#options = options;
    this.#ec2 = rememberPerKey(options.ec2);
  }

  async getInstanceInfo(signal: AbortSignal): Promise<InstanceDetails> {
    const here = await this.#options.whereAmI();
    const details = await (await this.#ec2(here.region)).describe(here.instanceId, signal);
    // EC2's record is the truth; IMDS fills in what an odd answer leaves out.
    return {
      ...details,
      region: here.region,
      ...(details.zone === undefined && here.zone !== undefined ? { zone: here.zone } : {}),
      ...(details.type === undefined && here.type !== undefined ? { type: here.type } : {}),
    };
  }

  async listInstances(signal: AbortSignal): Promise<InstanceDetails[]> {
    const { listTag, listTagError } = this.#options.config;
    if (listTagError !== undefined) {
      throw new PluginError('FAILED_PRECONDITION', `cannot list instances: ${listTagError}`, {
        hint: `fix or unset ${ENV.listTag} in the plugin's environment`,
      });
    }
    // Listing needs only the region: AWS_REGION alone is enough off EC2.
    const region = this.#options.config.region ?? (await this.#options.whereAmI()).region;
    return (await this.#ec2(region)).list(listTag, signal);
  }

  async stopInstance(signal: AbortSignal): Promise<OperationOutcome> {
    const here = await this.#options.whereAmI();
    const hibernate = this.#options.config.hibernate;
    const how = hibernate ? 'hibernate' : 'stop';
    if (this.#options.config.dryRun) {
      this.#options.logger.info({ instanceId: here.instanceId, region: here.region, hibernate }, `dry run: would ${how} this instance`);
      return;
    }
    this.#options.logger.warn({ instanceId: here.instanceId, region: here.region, hibernate }, `asking EC2 to ${how} this instance`);
    const change = await (await this.#ec2(here.region)).stop(here.instanceId, hibernate, signal);
    this.#options.logger.info({ instanceId: here.instanceId, ...change }, 'EC2 accepted the stop');
  }

  async startInstance(signal: AbortSignal): Promise<OperationOutcome> {
    const here = await this.#options.whereAmI();
    if (this.#options.config.dryRun) {
      this.#options.logger.info({ instanceId: here.instanceId, region: here.region }, 'dry run: would start this instance');
      return;
    }
    this.#options.logger.info({ instanceId: here.instanceId, region: here.region }, 'asking EC2 to start this instance');
    const change = await (await this.#ec2(here.region)).start(here.instanceId, signal);
    this.#options.logger.info({ instanceId: here.instanceId, ...change }, 'EC2 accepted the start');
  }
}
