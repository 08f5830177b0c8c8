import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import {
  Containment,
  cgroupDirectory,
  isPluginCgroupName,
  parseCgroup2Mounts,
  parseControllers,
  parsePids,
  parsePopulated,
  parseProcCgroup,
  planContainment,
  pluginCgroupName,
} from '../../src/host/containment/index.js';
import type { CgroupFacts } from '../../src/host/containment/index.js';
import { REPO_ROOT } from '../helpers/paths.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/cgroup');
const quiet = pino({ level: 'silent' });
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('cgroup files', () => {
  it('finds the v2 line of /proc/self/cgroup, on a hybrid machine too', () => {
    assert.equal(parseProcCgroup('0::/system.slice/snoozebot.service\n'), '/system.slice/snoozebot.service');
    assert.equal(parseProcCgroup('9:name=systemd:/\n4:memory:/x\n0::/\n'), '/');
    assert.equal(parseProcCgroup('12:pids:/a\n1:name=systemd:/a\n'), undefined);
  });

  it('reads cgroup2 mounts from mountinfo: root, mount point (escapes undone), read-only', () => {
    const mounts = parseCgroup2Mounts(
      [
        '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw',
        '40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
        '41 22 0:37 /system.slice /mnt/my\\040cgroups rw,relatime shared:9 master:2 - cgroup2 cgroup2 rw',
        '42 22 0:37 / /ro ro,relatime - cgroup2 cgroup2 rw',
        '43 22 0:37 / /ro-super rw,relatime - cgroup2 cgroup2 ro',
        '34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
      ].join('\n'),
    );
    assert.deepEqual(mounts, [
      { mountPoint: '/sys/fs/cgroup/unified', root: '/', readOnly: false },
      { mountPoint: '/mnt/my cgroups', root: '/system.slice', readOnly: false },
      { mountPoint: '/ro', root: '/', readOnly: true },
      { mountPoint: '/ro-super', root: '/', readOnly: true },
    ]);
  });

  it("places a cgroup under the mount that shows it: writable first, then the deepest root", () => {
    const mounts = [
      { mountPoint: '/ro', root: '/', readOnly: true },
      { mountPoint: '/sys/fs/cgroup', root: '/', readOnly: false },
      { mountPoint: '/mnt/sys', root: '/system.slice', readOnly: false },
    ];
    assert.equal(cgroupDirectory(mounts, '/system.slice/snoozebot.service')?.dir, '/mnt/sys/snoozebot.service');
    assert.equal(cgroupDirectory(mounts, '/user.slice')?.dir, '/sys/fs/cgroup/user.slice');
    assert.equal(cgroupDirectory(mounts, '/')?.dir, '/sys/fs/cgroup');
    assert.equal(cgroupDirectory([{ mountPoint: '/m', root: '/system.slice', readOnly: false }], '/system.slicex'), undefined);
  });

  it('reads pids, controllers and populated', () => {
    assert.deepEqual(parsePids('12\n345\n\n'), [12, 345]);
    assert.deepEqual(parseControllers('cpuset cpu io memory pids\n'), ['cpuset', 'cpu', 'io', 'memory', 'pids']);
    assert.equal(parsePopulated('populated 1\nfrozen 0\n'), true);
    assert.equal(parsePopulated('populated 0\nfrozen 0\n'), false);
  });

  it('names plugin cgroups snoozebot-plugin-NAME, digesting names too long for one directory entry', () => {
    assert.equal(pluginCgroupName('aws', sha), 'snoozebot-plugin-aws');
    const long = 'x'.repeat(250);
    const named = pluginCgroupName(long, sha);
    assert.ok(Buffer.byteLength(named) <= 255);
    assert.notEqual(named, pluginCgroupName(`${'x'.repeat(249)}y`, sha), 'two long names, two cgroups');
    assert.equal(isPluginCgroupName('snoozebot-plugin-aws'), true);
    assert.equal(isPluginCgroupName('snoozebot-plugin-'), false);
    assert.equal(isPluginCgroupName('snoozebot-daemon'), false);
  });
});

describe('planContainment', () => {
  const facts = (over: Partial<CgroupFacts> = {}): CgroupFacts => ({
    cgroupPath: '/system.slice/snoozebot.service',
    mounts: [{ mountPoint: '/sys/fs/cgroup', root: '/', readOnly: false }],
    ownProcs: [812],
    selfPid: 812,
    homeName: 'snoozebot-0123456789ab',
    ...over,
  });

  it('alone in its cgroup (Delegate=yes): the cgroup is the home, the daemon moves to a leaf of it', () => {
    assert.deepEqual(planContainment(facts()), {
      kind: 'cgroup',
      ownDir: '/sys/fs/cgroup/system.slice/snoozebot.service',
      home: '/sys/fs/cgroup/system.slice/snoozebot.service',
      leaf: '/sys/fs/cgroup/system.slice/snoozebot.service/snoozebot-daemon',
      delegated: true,
    });
  });

  it('sharing its cgroup (other processes, or the root of the hierarchy): a home of its own below it', () => {
    for (const shared of [facts({ ownProcs: [1, 812] }), facts({ cgroupPath: '/', ownProcs: [812] })]) {
      const layout = planContainment(shared);
      assert.equal(layout.kind, 'cgroup');
      if (layout.kind !== 'cgroup') continue;
      assert.equal(layout.home, `${layout.ownDir}/snoozebot-0123456789ab`);
      assert.equal(layout.leaf, `${layout.ownDir}/snoozebot-0123456789ab/snoozebot-daemon`);
      assert.equal(layout.delegated, false);
    }
  });

  it('falls back to process groups, saying why', () => {
    const reason = (over: Partial<CgroupFacts>) => {
      const layout = planContainment(facts(over));
      return layout.kind === 'process-group' ? layout.reason : `cgroup ${layout.home}`;
    };
    assert.equal(reason({ mounts: [] }), 'no cgroup2 file system is mounted (see /proc/self/mountinfo)');
    assert.equal(reason({ cgroupPath: undefined }), 'the daemon is in no cgroup v2 hierarchy (/proc/self/cgroup has no "0::" line)');
    assert.equal(reason({ mounts: [{ mountPoint: '/sys/fs/cgroup', root: '/docker/x', readOnly: false }] }), "the daemon's cgroup /system.slice/snoozebot.service is not visible under the cgroup2 mount (/sys/fs/cgroup)");
    assert.equal(reason({ mounts: [{ mountPoint: '/sys/fs/cgroup', root: '/', readOnly: true }] }), 'the cgroup2 mount at /sys/fs/cgroup is read-only');
    assert.equal(reason({ ownProcs: undefined }), '/sys/fs/cgroup/system.slice/snoozebot.service/cgroup.procs cannot be read');
  });
});

describe('Containment.setup over fixture /proc trees', () => {
  const setup = (tree: string) => Containment.setup({ homeName: 'snoozebot-test', log: quiet, procRoot: join(FIXTURES, tree), adoptSelf: false });

  it('cgroup v1 only: process groups', async () => {
    const containment = await setup('v1-only');
    assert.equal(containment.enabled, false);
    assert.equal(containment.describe(), 'process-group (no cgroup2 file system is mounted (see /proc/self/mountinfo))');
    assert.equal(containment.status.memory, 'rss');
    await assert.rejects(containment.acquire('aws'), /containment is by process group/);
  });

  it('a read-only cgroup2 mount (a container): process groups', async () => {
    assert.equal((await setup('container-ro')).describe(), 'process-group (the cgroup2 mount at /sys/fs/cgroup is read-only)');
  });

  it("a mount that does not show the daemon's cgroup: process groups", async () => {
    assert.equal(
      (await setup('escaped')).describe(),
      "process-group (the daemon's cgroup /user.slice/user-1000.slice/session-3.scope is not visible under the cgroup2 mount (/mnt/my cgroups))",
    );
  });

  it('a cgroup that is not there to read: process groups', async () => {
    assert.equal((await setup('unified')).describe(), 'process-group (/sys/fs/cgroup/system.slice/snoozebot.service/cgroup.procs cannot be read)');
  });

  it('turned off: process groups with the given reason', async () => {
    const containment = await Containment.setup({ homeName: 'x', log: quiet, disabled: 'turned off in the config ("cgroups": false)' });
    assert.equal(containment.describe(), 'process-group (turned off in the config ("cgroups": false))');
  });
});
