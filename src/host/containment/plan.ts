// Where the plugins' cgroups go, decided from what /proc says (pure).
//
// cgroup v2's "no internal processes" rule: a cgroup that has processes of its
// own cannot hand controllers (memory, cpu...) to child cgroups; only leaves
// hold processes once controllers are delegated. The daemon starts inside
// some cgroup C that holds at least itself, so plugin cgroups made directly
// under C could never get the memory controller (memory.current). Like a
// systemd service with Delegate=yes is told to, the daemon therefore moves
// itself into a leaf of its own and keeps the cgroup above it free of
// processes:
//
// - C holds nobody but the daemon (a unit with Delegate=yes, where C is the
//   unit's cgroup and is the daemon's to manage): C is the daemon's home;
//   the daemon moves to C/snoozebot-daemon, plugins go to
//   C/snoozebot-plugin-NAME.
// - C is shared (other processes in it, or C is the root of the hierarchy,
//   which belongs to the whole system): the daemon makes a home of its own,
//   C/HOME (HOME named after its state directory, so two daemons with two
//   state directories never touch each other's plugins and a daemon's
//   successor finds what its predecessor left), moves itself to
//   C/HOME/snoozebot-daemon, and plugins go to C/HOME/snoozebot-plugin-NAME.
//
// Either way the daemon's leaf doubles as proof of life: a successor that finds
// a process in it knows another daemon is using this home.
import { cgroupDirectory } from './cgroup-files.js';
import type { Cgroup2Mount } from './cgroup-files.js';

export const DAEMON_LEAF = 'snoozebot-daemon';

export interface CgroupFacts {
  /** From /proc/self/cgroup ("0::PATH"); undefined when the process is in no cgroup v2 hierarchy. */
  readonly cgroupPath: string | undefined;
  readonly mounts: readonly Cgroup2Mount[];
  /** The pids in the daemon's own cgroup when it starts; undefined when cgroup.procs could not be read. */
  readonly ownProcs: readonly number[] | undefined;
  readonly selfPid: number;
  /** The home's name when the daemon's cgroup is shared. */
  readonly homeName: string;
}

export type Layout =
  | {
      readonly kind: 'cgroup';
      /** The cgroup the daemon started in. */
      readonly ownDir: string;
      /** Where plugin cgroups are made. */
      readonly home: string;
      /** The daemon's own leaf under home. */
      readonly leaf: string;
      /** True when home is the daemon's own cgroup (it was alone in it). */
      readonly delegated: boolean;
    }
  | { readonly kind: 'process-group'; readonly reason: string };

export function planContainment(facts: CgroupFacts): Layout {
  if (facts.mounts.length === 0) return { kind: 'process-group', reason: 'no cgroup2 file system is mounted (see /proc/self/mountinfo)' };
  if (facts.cgroupPath === undefined) {
    return { kind: 'process-group', reason: 'the daemon is in no cgroup v2 hierarchy (/proc/self/cgroup has no "0::" line)' };
  }
  const found = cgroupDirectory(facts.mounts, facts.cgroupPath);
  if (found === undefined) {
    const where = facts.mounts.map((m) => m.mountPoint).join(', ');
    return { kind: 'process-group', reason: `the daemon's cgroup ${facts.cgroupPath} is not visible under the cgroup2 mount (${where})` };
  }
  if (found.mount.readOnly) return { kind: 'process-group', reason: `the cgroup2 mount at ${found.mount.mountPoint} is read-only` };
  if (facts.ownProcs === undefined) return { kind: 'process-group', reason: `${found.dir}/cgroup.procs cannot be read` };
  const ownDir = found.dir;
  const alone = facts.cgroupPath !== '/' && facts.ownProcs.length === 1 && facts.ownProcs[0] === facts.selfPid;
  const home = alone ? ownDir : `${ownDir}/${facts.homeName}`;
  return { kind: 'cgroup', ownDir, home, leaf: `${home}/${DAEMON_LEAF}`, delegated: alone };
}
