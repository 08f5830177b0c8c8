import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ListenError, networkFromEnv, planTcpPorts, planUnixSocket } from '../../src/sdk/listener.js';

function isListenError(e: unknown): boolean {
  return e instanceof ListenError && e.code === 'PLUGIN_LISTEN';
}

describe('planTcpPorts', () => {
  it('uses any free port when the range is unset or 0..0', () => {
    assert.deepEqual(planTcpPorts({}), { network: 'tcp', ports: [0] });
    assert.deepEqual(planTcpPorts({ PLUGIN_MIN_PORT: '', PLUGIN_MAX_PORT: '  ' }).ports, [0]);
    assert.deepEqual(planTcpPorts({ PLUGIN_MIN_PORT: '10000' }).ports, [0]);
    assert.deepEqual(planTcpPorts({ PLUGIN_MAX_PORT: '10000' }).ports, [0]);
    assert.deepEqual(planTcpPorts({ PLUGIN_MIN_PORT: '0', PLUGIN_MAX_PORT: '0' }).ports, [0]);
  });

  it('lists the range in order, inclusive', () => {
    assert.deepEqual(planTcpPorts({ PLUGIN_MIN_PORT: '10000', PLUGIN_MAX_PORT: '10003' }).ports, [10000, 10001, 10002, 10003]);
    assert.deepEqual(planTcpPorts({ PLUGIN_MIN_PORT: '65535', PLUGIN_MAX_PORT: '65535' }).ports, [65535]);
  });

  it('never lists port 0 inside a range', () => {
    assert.deepEqual(planTcpPorts({ PLUGIN_MIN_PORT: '0', PLUGIN_MAX_PORT: '2' }).ports, [1, 2]);
  });

  it('rejects min > max', () => {
    assert.throws(() => planTcpPorts({ PLUGIN_MIN_PORT: '20000', PLUGIN_MAX_PORT: '10000' }), (e: unknown) => {
      assert.ok(isListenError(e));
      assert.match((e as Error).message, /PLUGIN_MIN_PORT \(20000\) is greater than PLUGIN_MAX_PORT \(10000\)/);
      return true;
    });
  });

  it('rejects values that are not port numbers', () => {
    for (const bad of ['abc', '-1', '65536', '1.5', '10k', '0x']) {
      assert.throws(() => planTcpPorts({ PLUGIN_MIN_PORT: bad, PLUGIN_MAX_PORT: '30000' }), isListenError, `min ${bad}`);
      assert.throws(() => planTcpPorts({ PLUGIN_MIN_PORT: '1000', PLUGIN_MAX_PORT: bad }), isListenError, `max ${bad}`);
    }
  });
});

describe('networkFromEnv', () => {
  it('defaults to unix and accepts unix and tcp', () => {
    assert.equal(networkFromEnv(undefined), 'unix');
    assert.equal(networkFromEnv(''), 'unix');
    assert.equal(networkFromEnv('unix'), 'unix');
    assert.equal(networkFromEnv('tcp'), 'tcp');
  });

  it('rejects anything else', () => {
    for (const bad of ['udp', 'TCP', ' tcp']) assert.throws(() => networkFromEnv(bad), isListenError, bad);
  });
});

describe('planUnixSocket', () => {
  let parent = '';

  before(async () => {
    parent = await mkdtemp(join(tmpdir(), 'sb-listen-'));
  });

  after(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('creates a private 0700 directory under PLUGIN_UNIX_SOCKET_DIR', async () => {
    const plan = await planUnixSocket({ PLUGIN_UNIX_SOCKET_DIR: parent });
    try {
      assert.equal(plan.network, 'unix');
      assert.equal(dirname(plan.dir), parent);
      assert.equal(plan.path, join(plan.dir, 'plugin.sock'));
      const info = await stat(plan.dir);
      assert.ok(info.isDirectory());
      assert.equal(info.mode & 0o777, 0o700);
    } finally {
      await rm(plan.dir, { recursive: true, force: true });
    }
  });

  it('makes a fresh directory each time', async () => {
    const a = await planUnixSocket({ PLUGIN_UNIX_SOCKET_DIR: parent });
    const b = await planUnixSocket({ PLUGIN_UNIX_SOCKET_DIR: parent });
    try {
      assert.notEqual(a.dir, b.dir);
    } finally {
      await rm(a.dir, { recursive: true, force: true });
      await rm(b.dir, { recursive: true, force: true });
    }
  });

  it('rejects a socket path longer than sun_path allows and leaves no directory behind', async () => {
    const long = join(parent, 'd'.repeat(100));
    await mkdir(long);
    await assert.rejects(planUnixSocket({ PLUGIN_UNIX_SOCKET_DIR: long }), (e: unknown) => {
      assert.ok(isListenError(e));
      assert.match((e as Error).message, /longer than 107 bytes/);
      return true;
    });
    assert.deepEqual(await readdir(long), []);
  });

  it('rejects a socket directory that cannot be created in', async () => {
    await assert.rejects(planUnixSocket({ PLUGIN_UNIX_SOCKET_DIR: join(parent, 'does-not-exist') }), (e: unknown) => {
      assert.ok(isListenError(e));
      assert.match((e as Error).message, /ENOENT/);
      return true;
    });
  });
});
