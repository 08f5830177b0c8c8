// The daemon's API on a real unix socket, driven by real HTTP requests and by
// real `snoozebot` CLI processes, with a fake DaemonControl behind it that
// records every call (so "a bad request changes nothing" can be checked).
import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import pino from 'pino';
import { startApiServer } from '../../src/daemon/api/server.js';
import type { ApiServer } from '../../src/daemon/api/server.js';
import { DaemonError } from '../../src/daemon/errors.js';
import { createMetrics } from '../../src/daemon/metrics.js';
import type { DaemonControl, DaemonStatus, InstanceRecord, PluginStatus } from '../../src/daemon/types.js';
import { HostError } from '../../src/host/errors.js';
import { CLI, REPO_ROOT } from '../helpers/paths.js';

const logger = pino({ level: 'silent' });

const LONG_ERROR =
  'plugin exited with code 1 before the handshake: cannot read /etc/snoozebot/credentials.json: permission denied (EACCES) while starting';

const INSTANCE: InstanceRecord = {
  id: 'i-0abc123',
  name: 'web-1',
  type: 't3.micro',
  region: 'eu-west-1',
  zone: 'eu-west-1a',
  state: 'running',
  launchTime: '2024-05-01T10:00:00.000Z',
};

function plugin(overrides: Partial<PluginStatus> & Pick<PluginStatus, 'name' | 'state'>): PluginStatus {
  return {
    path: `/etc/snoozebot/plugins/${overrides.name}`,
    wanted: 'loaded',
    wantedBy: 'config',
    wantedSince: null,
    start: 'boot',
    job: null,
    reason: '',
    since: new Date(Date.now() - 60_000).toISOString(),
    pid: null,
    servingSince: null,
    restarts: 0,
    recentCrashes: 0,
    lastError: null,
    provider: null,
    apiVersion: null,
    api: null,
    tls: null,
    nextStartAt: null,
    memoryBytes: null,
    ...overrides,
  };
}

/** In-memory daemon: "aws" serving, "broken" failed. Records every call. */
/** When the fake's "aws" plugin started serving: 3m12s before the fake was made. */
const AWS_SERVING_SINCE = Date.now() - 192_000;

function fakeControl() {
  const calls: string[] = [];
  const plugins = new Map<string, PluginStatus>([
    [
      'aws',
      plugin({
        name: 'aws',
        state: 'serving',
        reason: 'handshake and health check ok',
        pid: 4242,
        servingSince: new Date(AWS_SERVING_SINCE).toISOString(),
        restarts: 1,
        provider: { name: 'aws', version: '1.2.0' },
        apiVersion: '0.1.0',
        api: '0.1.0',
        tls: true,
      }),
    ],
    ['broken', plugin({ name: 'broken', state: 'failed', reason: '5 crashes in 60 s', restarts: 4, lastError: LONG_ERROR })],
  ]);
  const get = (name: string): PluginStatus => {
    const p = plugins.get(name);
    if (p === undefined) throw new DaemonError('PLUGIN_UNKNOWN', `no plugin named "${name}" in /etc/snoozebot/plugins`);
    return p;
  };
  /** The plugin an instance call goes to; a few names make the fake fail in the ways a daemon can. */
  const provider = (name: string | undefined): string => {
    if (name === 'grpc-down') throw new HostError('PLUGIN_CALL', 'GetInstanceInfo failed: UNAVAILABLE: connection refused', { grpcCode: 'UNAVAILABLE' });
    if (name === 'bug') throw new TypeError("Cannot read properties of undefined (reading 'secret')");
    const p = get(name ?? 'aws');
    if (p.state !== 'serving') throw new DaemonError('PLUGIN_NOT_SERVING', `plugin "${p.name}" is ${p.state}, not serving`);
    return p.name;
  };
  const control: DaemonControl = {
    status(): DaemonStatus {
      calls.push('status');
      return {
        version: '0.1.0',
        pid: 1234,
        startedAt: new Date(Date.now() - 3_600_000).toISOString(),
        uptimeSeconds: 3600,
        pluginsDir: '/etc/snoozebot/plugins',
        socket: '/run/snoozebot/snoozebot.sock',
        stateDir: '/var/lib/snoozebot',
        dryRun: false,
        shuttingDown: false,
        defaultProvider: 'aws',
        plugins: { total: 2, serving: 1, failed: 1 },
        containment: { mode: 'cgroup', detail: '/sys/fs/cgroup/system.slice/snoozebot.service', memory: 'memory.current' },
        idle: {
          enabled: true,
          phase: 'busy',
          since: new Date(Date.now() - 60_000).toISOString(),
          idleSeconds: 0,
          napTimeSeconds: 1800,
          checkIntervalSeconds: 10,
          graceUntil: null,
          stopAt: null,
          provider: 'aws',
          providerProblem: null,
          dryRun: false,
          lastSampleAt: new Date().toISOString(),
          signals: [{ signal: 'cpu', value: 37.5, threshold: 10, unit: '%', busy: true }],
          busySignals: ['cpu'],
          lastStop: null,
          phaseChanges: [],
        },
      };
    },
    listPlugins() {
      calls.push('listPlugins');
      return [...plugins.values()];
    },
    async refreshMemory() {
      // Measuring is not an operation: the call log keeps to what the CLI asked for.
    },
    pluginInfo(name) {
      calls.push(`pluginInfo ${name}`);
      return get(name);
    },
    async loadPlugin(name) {
      calls.push(`loadPlugin ${name}`);
      return get(name);
    },
    async unloadPlugin(name) {
      calls.push(`unloadPlugin ${name}`);
      return get(name);
    },
    async restartPlugin(name) {
      calls.push(`restartPlugin ${name}`);
      return get(name);
    },
    async instanceInfo(name) {
      calls.push(`instanceInfo ${name ?? '(default)'}`);
      return { plugin: provider(name), instance: INSTANCE };
    },
    async listInstances(name) {
      calls.push(`listInstances ${name ?? '(default)'}`);
      return { plugin: provider(name), instances: [INSTANCE] };
    },
    async stopInstance(name) {
      calls.push(`stopInstance ${name ?? '(default)'}`);
      const through = provider(name);
      return { plugin: through, operation: 'stop', dryRun: false, message: `stopping instance ${INSTANCE.id} through plugin ${through}` };
    },
    async startInstance(name) {
      calls.push(`startInstance ${name ?? '(default)'}`);
      const through = provider(name);
      return { plugin: through, operation: 'start', dryRun: false, message: `starting instance ${INSTANCE.id} through plugin ${through}` };
    },
  };
  return { control, calls };
}

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json(): { error?: { code: string; message: string; details?: Record<string, string> } } & Record<string, unknown>;
}

/** One HTTP request over the unix socket; `body` chunks are written one by one (chunked unless content-length is set). */
function raw(socketPath: string, method: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer[] } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    // The server may close while a large body is still being written; the answer already came.
    req.on('error', (error) => (req.headersSent ? undefined : reject(error)));
    const body = options.body;
    if (typeof body === 'string') req.end(body);
    else {
      for (const chunk of body ?? []) req.write(chunk);
      req.end();
    }
  });
}

const jsonHeaders = (body: string) => ({ 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });

function cli(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    reject: false,
    timeout: 30_000,
    stdin: 'pipe', // not a terminal
    env: { SNOOZEBOT_SOCKET: '', ...env },
  });
}

describe('API server and CLI against a fake daemon', () => {
  let dir: string;
  let socketPath: string;
  let server: ApiServer;
  const fake = fakeControl();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'snoozebot-api-'));
    socketPath = join(dir, 'run', 'snoozebot.sock'); // "run" does not exist yet
    const metrics = createMetrics();
    metrics.observePluginState('aws', 'serving');
    metrics.observePluginState('broken', 'failed');
    metrics.countRestart('aws');
    metrics.observeRpc('aws', 'GetInstanceInfo', 'ok', 0.012);
    server = await startApiServer({ socketPath, control: fake.control, metrics, logger });
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const callsDuring = async <T>(work: () => Promise<T>): Promise<{ result: T; calls: string[] }> => {
    const before = fake.calls.length;
    const result = await work();
    return { result, calls: fake.calls.slice(before) };
  };

  test('the socket is 0660 in a directory created 0755', () => {
    const stats = statSync(socketPath);
    assert.ok(stats.isSocket());
    assert.equal(stats.mode & 0o777, 0o660);
    assert.equal(statSync(join(dir, 'run')).mode & 0o777, 0o755);
  });

  describe('CLI', () => {
    test('plugins list --json: exit 0, the array of plugin statuses', async () => {
      const r = await cli(['plugins', 'list', '--json', '--socket', socketPath]);
      assert.equal(r.exitCode, 0, r.stderr);
      const list = JSON.parse(r.stdout) as PluginStatus[];
      assert.ok(Array.isArray(list));
      assert.deepEqual(list.map((p) => p.name), ['aws', 'broken']);
      const [aws, broken] = list;
      assert.deepEqual(
        { state: aws?.state, pid: aws?.pid, restarts: aws?.restarts, provider: aws?.provider, lastError: aws?.lastError },
        { state: 'serving', pid: 4242, restarts: 1, provider: { name: 'aws', version: '1.2.0' }, lastError: null },
      );
      assert.equal(broken?.lastError, LONG_ERROR);
    });

    test('plugins list: a table with both plugins, provider and cut last error', async () => {
      const r = await cli(['plugins', 'list', '--socket', socketPath]);
      assert.equal(r.exitCode, 0, r.stderr);
      const [header, ...rows] = r.stdout.trimEnd().split('\n');
      assert.match(header ?? '', /^NAME\s+WANTED\s+STATE\s+PID\s+UPTIME\s+RESTARTS\s+PROVIDER\s+API\s+LAST ERROR$/);
      const aws = rows.find((l) => l.startsWith('aws '));
      const broken = rows.find((l) => l.startsWith('broken '));
      const m = /^aws\s+loaded\s+serving\s+4242\s+(\d+)m(\d+)s\s+1\s+aws 1\.2\.0\s+0\.1\.0\s+-$/.exec(aws ?? '');
      assert.ok(m !== null, `aws row: ${aws ?? '(none)'}`);
      // The uptime is counted from servingSince to when the CLI ran: at least 3m12s, at most until now (a loaded machine takes its time).
      const shownS = Number(m[1]) * 60 + Number(m[2]);
      assert.ok(shownS >= 192 && shownS <= Math.ceil((Date.now() - AWS_SERVING_SINCE) / 1000), `uptime ${shownS} s`);
      assert.match(broken ?? '', /^broken\s+loaded\s+failed\s+-\s+-\s+4\s+-\s+-\s+plugin exited with code 1/);
      assert.ok(broken?.endsWith('…'), 'a long error is cut');
      assert.ok(!r.stdout.includes('while starting'), 'the tail of the long error is not shown');
    });

    test('plugins info nope: exit 1 with the daemon\'s message', async () => {
      const r = await cli(['plugins', 'info', 'nope', '--socket', socketPath]);
      assert.equal(r.exitCode, 1);
      assert.match(r.stderr, /^error: no plugin named "nope"/);
      assert.equal(r.stdout, '');
    });

    test('plugins info ../etc: exit 1, invalid name, the daemon is never asked', async () => {
      const { result: r, calls } = await callsDuring(() => cli(['plugins', 'info', '../etc', '--socket', socketPath]));
      assert.equal(r.exitCode, 1);
      assert.match(r.stderr, /^error: invalid plugin name "\.\.\/etc"/);
      assert.deepEqual(calls, []);
    });

    test('plugins info aws: a key: value block', async () => {
      const r = await cli(['plugins', 'info', 'aws', '--socket', socketPath]);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, /^name:\s+aws$/m);
      assert.match(r.stdout, /^state:\s+serving$/m);
      assert.match(r.stdout, /^provider:\s+aws 1\.2\.0$/m);
      assert.match(r.stdout, /^pid:\s+4242$/m);
    });

    test('plugins restart aws: exit 0 and the daemon restarts it', async () => {
      const { result: r, calls } = await callsDuring(() => cli(['plugins', 'restart', 'aws', '--socket', socketPath]));
      assert.equal(r.exitCode, 0, r.stderr);
      assert.deepEqual(calls, ['restartPlugin aws']);
      assert.match(r.stdout, /^aws: restarted; wanted loaded, now serving/);
    });

    test('instance info --json: the InstanceInfo fields', async () => {
      const r = await cli(['instance', 'info', '--json', '--socket', socketPath]);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), INSTANCE);
    });

    test('instance info: a key: value block with the ISO launch time', async () => {
      const r = await cli(['instance', 'info', '--plugin', 'aws', '--socket', socketPath]);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, /^id:\s+i-0abc123$/m);
      assert.match(r.stdout, /^launch time:\s+2024-05-01T10:00:00\.000Z$/m);
    });

    test('instance info through a plugin whose call fails: exit 1, the plugin error', async () => {
      const r = await cli(['instance', 'info', '--plugin', 'grpc-down', '--socket', socketPath]);
      assert.equal(r.exitCode, 1);
      assert.match(r.stderr, /^error: GetInstanceInfo failed: UNAVAILABLE/);
      assert.match(r.stderr, /grpcCode: UNAVAILABLE/);
    });

    test('instance stop without --yes and no terminal: exit 2, nothing stopped', async () => {
      const { result: r, calls } = await callsDuring(() => cli(['instance', 'stop', '--socket', socketPath]));
      assert.equal(r.exitCode, 2);
      assert.match(r.stderr, /pass --yes/);
      assert.deepEqual(calls, []);
    });

    test('instance stop --yes: the daemon stops the instance', async () => {
      const { result: r, calls } = await callsDuring(() => cli(['instance', 'stop', '--yes', '--plugin', 'aws', '--socket', socketPath]));
      assert.equal(r.exitCode, 0, r.stderr);
      assert.deepEqual(calls, ['stopInstance aws']);
      assert.match(r.stdout, /stopping instance i-0abc123 through plugin aws/);
    });

    test('status finds the socket through SNOOZEBOT_SOCKET', async () => {
      const r = await cli(['status'], { SNOOZEBOT_SOCKET: socketPath });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, /snoozebot 0\.1\.0, pid 1234, up 1h00m/);
      assert.match(r.stdout, /2 total, 1 serving, 1 failed/);
      assert.match(r.stdout, /^containment:\s+cgroup \(\/sys\/fs\/cgroup\/system\.slice\/snoozebot\.service\)$/m);
    });

    test('status with no daemon at --socket: exit 3 and the hint', async () => {
      const r = await cli(['status', '--socket', '/nonexistent/x.sock']);
      assert.equal(r.exitCode, 3);
      assert.ok(
        r.stderr.includes(
          'cannot reach the snoozebot daemon at /nonexistent/x.sock (is it running? start it with `snoozebot daemon` or `systemctl start snoozebot`; or pass --socket / set SNOOZEBOT_SOCKET)',
        ),
        r.stderr,
      );
    });

    test('plugins info without a name: usage error, exit 2', async () => {
      const r = await cli(['plugins', 'info', '--socket', socketPath]);
      assert.equal(r.exitCode, 2);
      assert.match(r.stderr, /error: /);
    });
  });

  describe('raw HTTP', () => {
    test('GET /healthz: 200 ok', async () => {
      const r = await raw(socketPath, 'GET', '/healthz');
      assert.equal(r.status, 200);
      assert.equal(r.text, 'ok\n');
    });

    test('GET /metrics: Prometheus text with the plugin series', async () => {
      const r = await raw(socketPath, 'GET', '/metrics');
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'] ?? '', /^text\/plain/);
      assert.match(r.text, /^snoozebot_plugin_state\{plugin="aws",state="serving"\} 1$/m);
      assert.match(r.text, /^snoozebot_plugin_state\{plugin="broken",state="failed"\} 1$/m);
      assert.match(r.text, /^snoozebot_plugin_restarts_total\{plugin="aws"\} 1$/m);
    });

    test('GET /v1/plugins: { plugins: [...] }', async () => {
      const r = await raw(socketPath, 'GET', '/v1/plugins');
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'] ?? '', /^application\/json/);
      assert.deepEqual((r.json().plugins as PluginStatus[]).map((p) => p.name), ['aws', 'broken']);
    });

    test('POST with a body that is not JSON: 400 BAD_JSON, nothing called', async () => {
      const body = '{"plugin": aws';
      const { result: r, calls } = await callsDuring(() => raw(socketPath, 'POST', '/v1/instance/stop', { headers: jsonHeaders(body), body }));
      assert.equal(r.status, 400);
      assert.equal(r.json().error?.code, 'BAD_JSON');
      assert.deepEqual(calls, []);
    });

    test('POST with a JSON array or an unknown field: 400 BODY_INVALID, nothing called', async () => {
      for (const body of ['[1]', '{"plugin":"aws","force":true}']) {
        const { result: r, calls } = await callsDuring(() => raw(socketPath, 'POST', '/v1/instance/stop', { headers: jsonHeaders(body), body }));
        assert.equal(r.status, 400, body);
        assert.equal(r.json().error?.code, 'BODY_INVALID', body);
        assert.deepEqual(calls, [], body);
      }
    });

    test('POST with a plugin field that is not a valid name: 400 PLUGIN_NAME_INVALID', async () => {
      const body = '{"plugin":"../../bin/sh"}';
      const { result: r, calls } = await callsDuring(() => raw(socketPath, 'POST', '/v1/instance/stop', { headers: jsonHeaders(body), body }));
      assert.equal(r.status, 400);
      assert.equal(r.json().error?.code, 'PLUGIN_NAME_INVALID');
      assert.deepEqual(calls, []);
    });

    test('POST with a body of another type: 415', async () => {
      const { result: r, calls } = await callsDuring(() =>
        raw(socketPath, 'POST', '/v1/instance/stop', { headers: { 'content-type': 'text/plain', 'content-length': '2' }, body: 'hi' }),
      );
      assert.equal(r.status, 415);
      assert.equal(r.json().error?.code, 'UNSUPPORTED_MEDIA_TYPE');
      assert.deepEqual(calls, []);
    });

    test('POST with a body over 64 KiB (announced): 413, nothing called', async () => {
      const body = JSON.stringify({ plugin: 'a'.repeat(200 * 1024) });
      const { result: r, calls } = await callsDuring(() => raw(socketPath, 'POST', '/v1/instance/stop', { headers: jsonHeaders(body), body }));
      assert.equal(r.status, 413);
      assert.equal(r.json().error?.code, 'BODY_TOO_LARGE');
      assert.equal(r.headers.connection, 'close');
      assert.deepEqual(calls, []);
    });

    test('POST with a chunked body that grows over 64 KiB: 413, nothing called', async () => {
      const chunks = [Buffer.from('{"plugin":"'), ...Array.from({ length: 10 }, () => Buffer.alloc(16 * 1024, 'a')), Buffer.from('"}')];
      const { result: r, calls } = await callsDuring(() =>
        raw(socketPath, 'POST', '/v1/instance/stop', { headers: { 'content-type': 'application/json' }, body: chunks }),
      );
      assert.equal(r.status, 413);
      assert.equal(r.json().error?.code, 'BODY_TOO_LARGE');
      assert.deepEqual(calls, []);
    });

    test('wrong method: 405 with Allow', async () => {
      const get = await raw(socketPath, 'GET', '/v1/instance/stop');
      assert.equal(get.status, 405);
      assert.equal(get.headers.allow, 'POST');
      assert.equal(get.json().error?.code, 'METHOD_NOT_ALLOWED');
      const del = await raw(socketPath, 'DELETE', '/v1/plugins/aws');
      assert.equal(del.status, 405);
      assert.equal(del.headers.allow, 'GET');
    });

    test('unknown route: 404', async () => {
      for (const path of ['/v2/status', '/v1/plugins/aws/explode', '/']) {
        const r = await raw(socketPath, 'GET', path);
        assert.equal(r.status, 404, path);
        assert.equal(r.json().error?.code, 'ROUTE_NOT_FOUND', path);
      }
    });

    test('plugin names with an encoded slash or dot-dot: 400 PLUGIN_NAME_INVALID, nothing called', async () => {
      for (const [method, path] of [
        ['GET', '/v1/plugins/a%2Fb'],
        ['GET', '/v1/plugins/a%2fb'],
        ['POST', '/v1/plugins/..%2F..%2Fbin%2Fsh/load'],
        ['POST', '/v1/plugins/../etc/load'],
        ['GET', '/v1/plugins/..'],
        ['GET', '/v1/instance?plugin=..%2Fetc'],
      ] as const) {
        const { result: r, calls } = await callsDuring(() => raw(socketPath, method, path));
        assert.equal(r.status, 400, path);
        assert.equal(r.json().error?.code, 'PLUGIN_NAME_INVALID', path);
        assert.deepEqual(calls, [], path);
      }
    });

    test('unknown query parameters: 400 QUERY_INVALID', async () => {
      for (const path of ['/v1/instance?plugin=aws&force=1', '/v1/status?verbose']) {
        const { result: r, calls } = await callsDuring(() => raw(socketPath, 'GET', path));
        assert.equal(r.status, 400, path);
        assert.equal(r.json().error?.code, 'QUERY_INVALID', path);
        assert.deepEqual(calls, [], path);
      }
    });

    test('daemon errors keep their status and code; host errors are 502; bugs are 500 without details', async () => {
      const unknown = await raw(socketPath, 'GET', '/v1/plugins/nope');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json().error?.code, 'PLUGIN_UNKNOWN');
      const notServing = await raw(socketPath, 'GET', '/v1/instance?plugin=broken');
      assert.equal(notServing.status, 503);
      assert.equal(notServing.json().error?.code, 'PLUGIN_NOT_SERVING');
      const host = await raw(socketPath, 'GET', '/v1/instances?plugin=grpc-down');
      assert.equal(host.status, 502);
      assert.deepEqual(host.json().error, {
        code: 'PLUGIN_CALL_FAILED',
        message: 'GetInstanceInfo failed: UNAVAILABLE: connection refused',
        details: { hostCode: 'PLUGIN_CALL', grpcCode: 'UNAVAILABLE' },
      });
      const bug = await raw(socketPath, 'GET', '/v1/instances?plugin=bug');
      assert.equal(bug.status, 500);
      assert.equal(bug.json().error?.code, 'INTERNAL');
      assert.ok(!bug.text.includes('secret'), 'the internal message is not shown');
    });

    test('POST /v1/instance/start with an empty body uses the default provider', async () => {
      const { result: r, calls } = await callsDuring(() => raw(socketPath, 'POST', '/v1/instance/start'));
      assert.equal(r.status, 200);
      assert.equal(r.json().operation, 'start');
      assert.deepEqual(calls, ['startInstance (default)']);
    });

    test('a second server on the same socket refuses to start; the first keeps serving', async () => {
      await assert.rejects(
        startApiServer({ socketPath, control: fakeControl().control, metrics: createMetrics({ defaultMetrics: false }), logger }),
        (error: Error) => error.message.includes(`another snoozebot daemon is listening on ${socketPath}`),
      );
      assert.equal((await raw(socketPath, 'GET', '/healthz')).status, 200);
      assert.ok(statSync(socketPath).isSocket());
    });
  });
});

describe('API socket lifecycle', () => {
  test('close() removes the socket; a stale socket file is replaced; a non-socket file is not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snoozebot-api-life-'));
    try {
      const socketPath = join(dir, 'api.sock');
      const options = { socketPath, control: fakeControl().control, metrics: createMetrics({ defaultMetrics: false }), logger };

      // A socket file nobody listens on: a hard link that outlives its server.
      const stale = join(dir, 'stale.sock');
      const other = createServer();
      await new Promise<void>((resolve) => other.listen(stale, resolve));
      linkSync(stale, socketPath);
      await new Promise<void>((resolve) => other.close(() => resolve()));
      assert.ok(statSync(socketPath).isSocket());

      const server = await startApiServer(options);
      assert.equal((await raw(socketPath, 'GET', '/healthz')).status, 200);
      assert.equal(statSync(socketPath).mode & 0o777, 0o660);
      await server.close();
      assert.throws(() => statSync(socketPath), { code: 'ENOENT' });

      const plain = join(dir, 'plain');
      writeFileSync(plain, 'not a socket');
      await assert.rejects(startApiServer({ ...options, socketPath: plain }), /exists and is not a socket/);
      assert.equal(statSync(plain).isFile(), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
