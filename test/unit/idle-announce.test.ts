// The announcer against a real HTTP server and a stand-in for wall(1): what
// is sent, and that failures are logged, never thrown.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createAnnouncer, redactUrl } from '../../src/daemon/idle/announce.js';

interface Received {
  readonly method: string;
  readonly contentType: string | undefined;
  readonly body: Record<string, unknown>;
}

async function webhook(status = 204): Promise<{ url: string; received: Promise<Received>; server: Server }> {
  let deliver: (r: Received) => void = () => undefined;
  const received = new Promise<Received>((resolve) => (deliver = resolve));
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(status).end();
      deliver({ method: req.method ?? '', contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { url: `http://127.0.0.1:${address.port}/hooks/abc?token=secret`, received, server };
}

function memoryLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

describe('idle announcer', () => {
  it('POSTs the announcement as JSON with the event, host and details', async (t) => {
    const hook = await webhook();
    t.after(() => hook.server.close());
    const { logger, lines } = memoryLogger();
    const announce = createAnnouncer({ webhookUrl: hook.url, wall: false, logger });
    await announce({ event: 'stopping', message: 'idle for 30m', details: { provider: 'aws', stopAt: '2026-11-23T12:31:00.000Z' } });
    const got = await hook.received;
    assert.equal(got.method, 'POST');
    assert.equal(got.contentType, 'application/json');
    assert.equal(got.body.event, 'snoozebot.idle.stopping');
    assert.equal(got.body.message, 'idle for 30m');
    assert.equal(got.body.provider, 'aws');
    assert.equal(typeof got.body.host, 'string');
    assert.equal(lines.filter((l) => l.msg === 'idle webhook failed').length, 0);
  });

  it('a webhook answering 500 or not listening is logged without its token, and does not throw', async (t) => {
    const hook = await webhook(500);
    t.after(() => hook.server.close());
    const { logger, lines } = memoryLogger();
    await createAnnouncer({ webhookUrl: hook.url, wall: false, logger })({ event: 'stopped', message: 'm', details: {} });
    await createAnnouncer({ webhookUrl: 'http://127.0.0.1:1/x', wall: false, logger, timeoutMs: 2_000 })({ event: 'stopped', message: 'm', details: {} });
    const failures = lines.filter((l) => l.msg === 'idle webhook failed');
    assert.equal(failures.length, 2);
    assert.match(String(failures[0]?.error), /HTTP 500/);
    assert.ok(lines.every((l) => !JSON.stringify(l).includes('secret')), 'the token stays out of the log');
  });

  it('writes the message to wall on stdin, and reports a missing wall', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'snoozebot-wall-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const script = join(dir, 'wall');
    await writeFile(script, `#!/bin/sh\ncat > ${JSON.stringify(join(dir, 'said'))}\n`);
    await chmod(script, 0o755);
    const { logger, lines } = memoryLogger();
    await createAnnouncer({ webhookUrl: null, wall: true, wallCommand: script, logger })({ event: 'stopping', message: 'stopping in 60s', details: {} });
    assert.equal(await readFile(join(dir, 'said'), 'utf8'), 'snoozebot: stopping in 60s\n');
    await createAnnouncer({ webhookUrl: null, wall: true, wallCommand: join(dir, 'absent'), logger })({ event: 'stopping', message: 'x', details: {} });
    const failure = lines.find((l) => l.msg === 'wall message failed');
    assert.match(String(failure?.error), /could not run .*absent/);
  });

  it('redacts a URL to its origin', () => {
    assert.equal(redactUrl('https://hooks.example.test/services/T0/B0/XYZ?token=1'), 'https://hooks.example.test');
    assert.equal(redactUrl('not a url'), '(invalid URL)');
  });
});
