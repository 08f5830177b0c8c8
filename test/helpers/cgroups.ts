// Whether this machine lets a test use cgroups for real, and helpers to look
// at them. Tests that need a writable cgroup2 skip with the reason where there
// is none, and fail instead when CI is set (guide: real parts, or a loud skip).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import pino from 'pino';
import { containmentHomeName } from '../../src/daemon/containment.js';
import { CgroupDir, Containment, cgroupDirectory, parseCgroup2Mounts, parseProcCgroup } from '../../src/host/containment/index.js';

const quiet = pino({ level: 'silent' });

/** A fresh containment with a home of its own (the test process is not moved), or the reason there is none. */
export async function testContainment(prefix = 'sbtest'): Promise<Containment> {
  return Containment.setup({ homeName: `${prefix}-${randomBytes(4).toString('hex')}`, log: quiet, adoptSelf: false });
}

/** `false` to run, or the skip reason; under CI a missing cgroup2 is a failure, not a skip. */
export async function cgroupSkip(): Promise<false | string> {
  const probe = await testContainment('sbprobe');
  await probe.close();
  if (probe.enabled) return false;
  const reason = `no writable cgroup2 for plugin cgroups: ${probe.status.detail}`;
  if (process.env.CI) assert.fail(`CI is set, so cgroup tests must run: ${reason}`);
  process.stdout.write(`# skipping cgroup tests: ${reason}\n`);
  return reason;
}

/** The cgroup v2 path of process `pid` ("0::PATH"), or undefined when it is gone. */
export function cgroupOf(pid: number): string | undefined {
  try {
    return /^0::(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** Directories under `dir` (cgroups), or [] when it is gone. */
export function childCgroups(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Where a daemon started by this test process on `stateDir` makes its home
 * (its own cgroup is shared with the test runner), or undefined without cgroup2.
 */
export function daemonHome(stateDir: string): string | undefined {
  const path = parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8'));
  const found = path === undefined ? undefined : cgroupDirectory(parseCgroup2Mounts(readFileSync('/proc/self/mountinfo', 'utf8')), path);
  return found === undefined ? undefined : `${found.dir}/${containmentHomeName(stateDir)}`;
}

/**
 * After the daemons of a test are gone. `strict` (the last daemon stopped
 * cleanly): none of their cgroups is left, let alone with a process in it. Not
 * strict (it was SIGKILLed, so it could not clean up): whatever is left is
 * only emptied and removed. Either way the next test starts clean.
 */
export async function assertCgroupsGone(stateDir: string, strict: boolean): Promise<void> {
  const home = daemonHome(stateDir);
  if (home === undefined || !readdirSafe(home)) return;
  const left = childCgroups(home);
  const populated: string[] = [];
  for (const name of left) {
    const dir = new CgroupDir(`${home}/${name}`);
    const pids = await dir.procs();
    if (pids.length > 0) populated.push(`${name}: ${pids.join(', ')}`);
    await dir.killAll(2_000).catch(() => undefined);
  }
  await new CgroupDir(home).remove().catch(() => undefined);
  if (!strict) return;
  assert.deepEqual(populated, [], `processes left in the daemon's cgroups under ${home}`);
  assert.fail(`the daemon's cgroup home ${home} was left (holding ${left.join(', ') || 'no cgroup'}) by a daemon that stopped cleanly`);
}

function readdirSafe(dir: string): boolean {
  try {
    readdirSync(dir);
    return true;
  } catch {
    return false;
  }
}
