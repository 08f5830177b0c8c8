// The local provider: the machine snoozebot runs on, with no cloud API.
// Stopping runs the operator's command (SNOOZEBOT_LOCAL_STOP_COMMAND, e.g.
// "systemctl poweroff"); without one it is a dry run that only records the
// state, which is what demos and tests use.
import { execFile } from 'node:child_process';
import { PluginError } from '../../src/sdk/errors.js';
import type { Logger } from '../../src/sdk/logger.js';
import type { CloudProvider, InstanceDetails, OperationOutcome } from '../../src/sdk/provider.js';
import { API_VERSION } from '../../src/sdk/provider.js';
import { VERSION } from '../../src/version.js';
import type { MachineFacts } from './machine.js';

export const STOP_COMMAND_ENV = 'SNOOZEBOT_LOCAL_STOP_COMMAND';
export const DRY_RUN_ENV = 'SNOOZEBOT_DRY_RUN';

export function isDryRun(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes'].includes(value.trim().toLowerCase());
}
const STOP_COMMAND_TIMEOUT_MS = 60_000;
const CANNOT_SELF_START = 'a stopped machine cannot start itself; start it from your cloud console or its power button';

export interface LocalProviderOptions {
  readonly facts: () => Promise<MachineFacts>;
  readonly logger: Logger;
  /** Shell command that powers the machine off; undefined means dry run. */
  readonly stopCommand: string | undefined;
}

function runStopCommand(command: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], { timeout: STOP_COMMAND_TIMEOUT_MS, signal }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const detail = stderr.trim().split('\n').slice(-3).join(' | ') || error.message;
      reject(
        new PluginError('INTERNAL', `stop command ${JSON.stringify(command)} failed: ${detail}`, {
          hint: `check ${STOP_COMMAND_ENV} and that the plugin runs with the rights to power off`,
        }),
      );
    });
  });
}

export class LocalProvider implements CloudProvider {
  readonly name = 'local';
  readonly version = VERSION;
  readonly apiVersion = API_VERSION;
  readonly #options: LocalProviderOptions;
  #state: 'running' | 'stopping' | 'stopped' = 'running';

  constructor(options: LocalProviderOptions) {
    this.#options = options;
  }

  get dryRun(): boolean {
    return this.#options.stopCommand === undefined;
  }

  async getInstanceInfo(): Promise<InstanceDetails> {
    const facts = await this.#options.facts();
    return {
      id: facts.id,
      name: facts.hostname,
      type: [facts.vendor, facts.product].filter(Boolean).join(' ') || 'unknown',
      region: 'local',
      zone: 'local',
      state: this.#state,
      ...(facts.bootTime === undefined ? {} : { launchTime: facts.bootTime }),
    };
  }

  async listInstances(): Promise<InstanceDetails[]> {
    return [await this.getInstanceInfo()];
  }

  async stopInstance(signal: AbortSignal): Promise<OperationOutcome> {
    const command = this.#options.stopCommand;
    if (command === undefined) {
      this.#options.logger.info(`dry run: would stop this machine (set ${STOP_COMMAND_ENV} to really stop it)`);
      this.#state = 'stopped';
      return;
    }
    this.#options.logger.warn({ command }, 'stopping this machine');
    await runStopCommand(command, signal);
    this.#state = 'stopping';
  }

  async startInstance(): Promise<OperationOutcome> {
    if (!this.dryRun) return { success: false, errorMessage: CANNOT_SELF_START };
    this.#options.logger.info('dry run: marking this machine running again');
    this.#state = 'running';
  }
}
