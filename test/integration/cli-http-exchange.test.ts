// The CLI's API client on real unix sockets: against node:http's server (what
// the daemon runs) and against servers that misbehave at the socket level.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApiClient, ApiProtocolError, ApiRequestError, DaemonUnreachableError } from '../../src/cli/api-client.js';
import { exchange, HttpExchangeError } from '../../src/cli/http-exchange.js';

let dir: string;
const servers: Server[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-http-exchange-'));
});

after(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  await rm(dir, { recursive: true, force: true });
});

async function listen(server: Server, name: string): Promise<string> {
  const path = join(dir, name);
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return path;
}

/** A raw server: `onConnection` gets each socket once the request's head has arrived. */
function rawServer(onRequest: (socket: Socket, request: string) => void): Server {
  return createNetServer((socket) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n\r\n')) onRequest(socket, text);
    });
    socket.on('error', () => {});
  });
}

test('against node:http: JSON answers, error bodies, a POST body, large and chunked answers', async () => {
  const seen: Array<{ method: string; url: string; body: string; connection: string | undefined }> = [];
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body, connection: req.headers.connection });
      if (req.url === '/v1/plugins') return void res.end(JSON.stringify({ plugins: [{ name: 'local' }] }));
      if (req.url === '/v1/big') return void res.end(JSON.stringify({ plugins: Array.from({ length: 20_000 }, (_, i) => ({ name: `p${i}` })) }));
      if (req.url === '/v1/chunked') {
        res.write('{"plugins":');
        setImmediate(() => res.end('[]}'));
        return;
      }
      res.statusCode = 404;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: { code: 'NO_SUCH_PLUGIN', message: 'no plugin named "x"', details: { known: 'local' } } }));
    });
  });
  const socketPath = await listen(server, 'http.sock');
  const client = new ApiClient({ socketPath });

  assert.deepEqual(await client.listPlugins(), [{ name: 'local' }]);
  assert.equal((await client.get<{ plugins: unknown[] }>('/v1/big')).plugins.length, 20_000);
  assert.deepEqual(await client.get('/v1/chunked'), { plugins: [] });
  const refused = await client.pluginInfo('x').catch((error: unknown) => error);
  assert.ok(refused instanceof ApiRequestError);
  assert.equal(refused.status, 404);
  assert.equal(refused.code, 'NO_SUCH_PLUGIN');
  assert.deepEqual(refused.details, { known: 'local' });
  await client.instanceOperation('stop', 'café').catch(() => undefined);
  const post = seen.find((s) => s.method === 'POST');
  assert.deepEqual(post, { method: 'POST', url: '/v1/instance/stop', body: '{"plugin":"café"}', connection: 'close' });
});

test('no socket, or nothing listening: the daemon is unreachable, with the errno', async () => {
  const client = new ApiClient({ socketPath: join(dir, 'missing.sock') });
  const error = await client.status().catch((e: unknown) => e);
  assert.ok(error instanceof DaemonUnreachableError);
  assert.equal(error.errno, 'ENOENT');

  const stale = await listen(rawServer(() => {}), 'stale.sock');
  await new Promise<void>((resolve) => servers.pop()?.close(() => resolve()));
  const refused = await new ApiClient({ socketPath: stale }).status().catch((e: unknown) => e);
  assert.ok(refused instanceof DaemonUnreachableError, String(refused));
  assert.match(refused.reason, /ENOENT|ECONNREFUSED/);
});

test('a server that closes, talks garbage, cuts the answer short or says nothing: one clear error each', async () => {
  const closes = await listen(rawServer((socket) => socket.destroy()), 'closes.sock');
  const garbage = await listen(rawServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n\r\n')), 'garbage.sock');
  const short = await listen(
    rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"plugins":')),
    'short.sock',
  );
  const notJson = await listen(rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello')), 'notjson.sock');
  const silent = await listen(rawServer(() => {}), 'silent.sock');

  const cases: Array<[string, RegExp]> = [
    [closes, /reading the daemon's answer to GET \/v1\/status: the connection closed without an answer/],
    [garbage, /not an HTTP\/1.1 status line: "SSH-2.0-OpenSSH_9.2"/],
    [short, /the connection closed in the middle of the answer/],
    [notJson, /the daemon answered GET \/v1\/status with HTTP 200 and no JSON: hello/],
  ];
  for (const [socketPath, expected] of cases) {
    const error = await new ApiClient({ socketPath }).status().catch((e: unknown) => e);
    assert.ok(error instanceof ApiProtocolError, `${socketPath}: ${String(error)}`);
    assert.match(error.message, expected);
  }
  const timedOut = await new ApiClient({ socketPath: silent, readTimeoutMs: 200 }).status().catch((e: unknown) => e);
  assert.ok(timedOut instanceof ApiProtocolError);
  assert.match(timedOut.message, /did not answer GET \/v1\/status within \d+ s/);
});

test('an answer past the size limit ends the exchange without reading the rest', async () => {
  let written = 0;
  const flood = await listen(
    rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100000000\r\n\r\n');
      const more = () => {
        while (socket.writable && written < 100_000_000) {
          written += 65_536;
          if (!socket.write(Buffer.alloc(65_536, 0x20))) return void socket.once('drain', more);
        }
      };
      more();
    }),
    'flood.sock',
  );
  const error = await exchange(flood, { method: 'GET', path: '/v1/status', headers: {} }, { timeoutMs: 10_000, maxBytes: 1_000_000 }).catch(
    (e: unknown) => e,
  );
  assert.ok(error instanceof HttpExchangeError);
  assert.deepEqual(error.failure, { kind: 'too-large', maxBytes: 1_000_000 });
  assert.ok(written < 100_000_000, `the server wrote ${written} bytes`);
});
