// Whether this machine lets a test use cgroups for real, and helpers to look
// at them. Tests that need a writable cgroup2 skip with the reason where there
// is none, and fail instead when CI is set (guide: real parts, or a loud skip).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import pino from 'pino';
import { Containment } from '../../src/host/containment/index.js';

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
