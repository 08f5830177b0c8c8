// The daemon's containment of its plugins (src/host/containment): set up once
// at start, before anything is spawned, and said in the log; `status` shows it.
//
// The home cgroup, when the daemon has to make one, is named after the state
// directory: the state directory is already what makes two daemons one
// (records, leftovers), so a daemon's successor finds the cgroups its
// predecessor left, and daemons with different state directories never touch
// each other's plugins.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { Containment } from '../host/containment/index.js';
import type { DaemonConfig } from './config/index.js';

export function containmentHomeName(stateDir: string): string {
  return `snoozebot-${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 12)}`;
}

export async function startContainment(config: Pick<DaemonConfig, 'stateDir' | 'cgroups'>, log: Logger): Promise<Containment> {
  const containment = await Containment.setup({
    homeName: containmentHomeName(config.stateDir),
    log,
    ...(config.cgroups ? {} : { disabled: 'turned off in the config ("cgroups": false)' }),
  });
  const { mode, detail, memory } = containment.status;
  const fields = { containment: mode, detail, memory, leftovers: containment.leftovers.filter((l) => l.pids.length > 0).length };
  if (containment.enabled) log.info(fields, `containment: ${containment.describe()}; each plugin in its own cgroup`);
  else log.warn(fields, `containment: ${containment.describe()}; a plugin's children that leave its process group (setsid) are not stopped with it`);
  return containment;
}
