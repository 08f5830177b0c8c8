// The API socket's protections, on a real unix socket: private from the
// moment it is bound (whatever the umask), chowned to socketGroup, at most
// maxConnections connections (503 beyond), and the header and request
// timeouts docs/api.md states, measured.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, startApiServer } from '../../src/daemon/api/server.js';
import type { ApiServerOptions } from '../../src/daemon/api/server.js';
import { DEFAULT_MAX_CONNECTIONS } from '../../src/daemon/api/connection-limit.js';
import { parseGroupLine } from '../../src/daemon/api/socket-group.js';
import { createMetrics } from '../../src/daemon/metrics.js';
import type { DaemonControl } from '../../src/daemon/types.js';
import { httpRequest } from '../helpers/daemon.js';

const logger = pino({ level: 'silent' });

/** The API without a daemon behind it: only /healthz (which asks nothing of it) is used. */
const control = new Proxy({} as DaemonControl, {
  get: (_, name) => () => {
    throw new Error(`not in this test: ${String(name)}`);
  },
});

function options(socketPath: string, extra: Partial<ApiServerOptions> = {}): ApiServerOptions {
  return { socketPath, control, metrics: createMetrics({ defaultMetrics: false }), logger, ...extra };
}

interface RawResult {
  readonly text: string;
  readonly ms: number;
}

/** A raw connection: writes `send` (if any) and resolves with everything read once the server closes it. */
function rawConnection(socketPath: string, send?: string): { socket: Socket; closed: Promise<RawResult>; connected: Promise<void> } {
  const t0 = performance.now();
  const socket = connect(socketPath);
  let text = '';
  socket.on('data', (b: Buffer) => (text += b.toString('utf8')));
  socket.on('error', () => undefined);
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  if (send !== undefined) void connected.then(() => socket.write(send));
  const closed = new Promise<RawResult>((resolve) => socket.once('close', () => resolve({ text, ms: performance.now() - t0 })));
  return { socket, closed, connected };
}

describe('API socket protections', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-api-sock-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('the socket is private from the moment it is bound, even under umask 000, and 0660 once open', async () => {
    const socketPath = join(dir, 'private.sock');
    let boundMode = -1;
    const previous = process.umask(0);
    try {
      const server = await startApiServer(
        options(socketPath, {
          onBound: (path) => {
            boundMode = lstatSync(path).mode & 0o777;
          },
        }),
      );
      assert.equal(process.umask(), 0, 'the umask is put back');
      try {
        assert.equal(boundMode, 0o700, `mode right after bind: ${boundMode.toString(8)}`);
        assert.equal(statSync(socketPath).mode & 0o777, 0o660);
        assert.equal((await httpRequest(socketPath, 'GET', '/healthz')).status, 200);
      } finally {
        await server.close();
      }
    } finally {
      process.umask(previous);
    }
  });

  test('socketGroup: the socket is chowned to it (by gid or by name); an unknown name fails before anything is bound', async () => {
    const byGid = join(dir, 'gid.sock');
    const server = await startApiServer(options(byGid, { socketGroup: 4242 }));
    try {
      assert.equal(statSync(byGid).gid, 4242);
      assert.equal(statSync(byGid).mode & 0o777, 0o660);
    } finally {
      await server.close();
    }
    const line = execFileSync('getent', ['group', 'nogroup'], { encoding: 'utf8' });
    const gid = parseGroupLine(line, 'nogroup');
    assert.ok(gid !== undefined, `getent group nogroup: ${line}`);
    const byName = join(dir, 'name.sock');
    const named = await startApiServer(options(byName, { socketGroup: 'nogroup' }));
    try {
      assert.equal(statSync(byName).gid, gid);
    } finally {
      await named.close();
    }
    const unknown = join(dir, 'unknown.sock');
    await assert.rejects(startApiServer(options(unknown, { socketGroup: 'no-such-group-xyz' })), {
      name: 'SocketGroupError',
      message: 'socketGroup "no-such-group-xyz" is not a group on this machine (getent group no-such-group-xyz found nothing); create it (groupadd no-such-group-xyz) or fix "socketGroup" in the config',
    });
    assert.throws(() => lstatSync(unknown), { code: 'ENOENT' });
  });

  test('parseGroupLine reads the gid of the named group only', () => {
    assert.equal(parseGroupLine('snoozebot:x:998:alice,bob\n', 'snoozebot'), 998);
    assert.equal(parseGroupLine('other:x:998:', 'snoozebot'), undefined);
    assert.equal(parseGroupLine('snoozebot:x::', 'snoozebot'), undefined);
  });

  test(`maxConnections (default ${DEFAULT_MAX_CONNECTIONS}): the connection beyond it gets 503 and is closed, its request never run`, async () => {
    assert.equal(DEFAULT_MAX_CONNECTIONS, 256);
    const socketPath = join(dir, 'limit.sock');
    const server = await startApiServer(options(socketPath, { maxConnections: 3 }));
    const idle = [rawConnection(socketPath), rawConnection(socketPath), rawConnection(socketPath)];
    try {
      await Promise.all(idle.map((c) => c.connected));
      // Asks for a route that would throw in this test's control if it were run.
      const extra = rawConnection(socketPath, 'GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n');
      const refused = await extra.closed;
      assert.match(refused.text, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
      const body = JSON.parse(refused.text.slice(refused.text.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'TOO_MANY_CONNECTIONS');
      assert.match(body.error.message, /already has 3 API connections open \(maxConnections\)/);
      // One idle connection goes away: there is room again.
      idle[0]?.socket.destroy();
      await idle[0]?.closed;
      assert.equal((await httpRequest(socketPath, 'GET', '/healthz')).status, 200);
    } finally {
      for (const c of idle) c.socket.destroy();
      await server.close();
    }
  });

  test(`a connection that never finishes its headers is closed with 408 after ${HEADERS_TIMEOUT_MS} ms (docs/api.md)`, async () => {
    assert.equal(HEADERS_TIMEOUT_MS, 10_000);
    const socketPath = join(dir, 'headers.sock');
    const server = await startApiServer(options(socketPath));
    try {
      const silent = rawConnection(socketPath);
      const partial = rawConnection(socketPath, 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
      for (const result of await Promise.all([silent.closed, partial.closed])) {
        assert.match(result.text, /^HTTP\/1\.1 408 Request Timeout/);
        // Node checks every tenth of the timeout.
        assert.ok(result.ms >= HEADERS_TIMEOUT_MS - 50 && result.ms < HEADERS_TIMEOUT_MS * 1.1 + 1_000, `closed after ${Math.round(result.ms)} ms`);
      }
    } finally {
      await server.close();
    }
  });

  test(`a request whose body does not arrive in time is closed with 408 (default ${REQUEST_TIMEOUT_MS} ms; measured here at 1500 ms)`, async () => {
    assert.equal(REQUEST_TIMEOUT_MS, 30_000);
    const socketPath = join(dir, 'request.sock');
    const server = await startApiServer(options(socketPath, { headersTimeoutMs: 1_000, requestTimeoutMs: 1_500 }));
    try {
      const slow = rawConnection(socketPath, 'POST /v1/instance/stop HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"');
      const result = await slow.closed;
      assert.match(result.text, /^HTTP\/1\.1 408 Request Timeout/);
      assert.ok(result.ms >= 1_450 && result.ms < 1_500 * 1.1 + 1_000, `closed after ${Math.round(result.ms)} ms`);
    } finally {
      await server.close();
    }
  });
});
