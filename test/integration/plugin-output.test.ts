// A plugin's output reaches the daemon's log only within its budget and only
// under its own keys, whichever way it arrives: the stderr pipe or GRPCStdio.
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import pino from 'pino';
import { DEFAULTS } from '../../src/host/options.js';
import { PluginProcess } from '../../src/host/plugin-process.js';
import { makeSocketParent } from '../helpers/leftovers.js';
import { REPO_ROOT } from '../helpers/paths.js';

function chattyPlugin(): string {
  const path = join(REPO_ROOT, 'dist/js/test/fixtures/sdk/chatty-plugin.js');
  chmodSync(path, 0o755);
  return path;
}

type Line = Record<string, unknown> & { msg: string; level: number };

function capture(): { lines: Line[]; logger: pino.Logger } {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Line);
      done();
    },
  });
  return { lines, logger: pino({ level: 'debug' }, sink) };
}

async function eventually(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await delay(20);
  }
}

test('GRPCStdio lines share the per-process budget: a console.log flood is cut and counted, not logged', async () => {
  const FLOOD = 3_000;
  const sockets = await makeSocketParent();
  const { lines, logger } = capture();
  const plugin = new PluginProcess({ path: chattyPlugin(), env: { CHATTY_LINES: String(FLOOD) }, socketParentDir: sockets.dir, logger });
  try {
    await plugin.start();
    const t0 = performance.now();
    await plugin.client.instanceInfo();
    const relayed = () => lines.filter((l) => l.stream === 'stdout' && l.msg.startsWith('chatty ')).length;
    const dropped = () => lines.filter((l) => typeof l.dropped === 'number').reduce((sum, l) => sum + Number(l.dropped), 0);
    // Every line is either logged or counted; the count comes within a second of the flood's end.
    await eventually(`${FLOOD + 1} lines logged or counted (logged ${relayed()}, dropped ${dropped()})`, () => relayed() + dropped() >= FLOOD + 1);
    // The burst, then the rate for as long as the lines kept coming (a loaded machine stretches that).
    const seconds = (performance.now() - t0) / 1000;
    const allowed = DEFAULTS.logLinesBurst + Math.ceil(DEFAULTS.logLinesPerSecond * (seconds + 1));
    assert.ok(relayed() <= allowed, `logged ${relayed()} of ${FLOOD + 1} relayed lines in ${seconds.toFixed(1)} s; at most ${allowed} allowed`);
    assert.ok(relayed() < FLOOD / 2, `logged ${relayed()} of ${FLOOD + 1}: most of the flood must be dropped`);
    assert.ok(dropped() > 0);
    assert.equal(relayed() + dropped(), FLOOD + 1);
    const report = lines.find((l) => typeof l.dropped === 'number');
    assert.match(report?.msg ?? '', /^dropped \d+ lines of plugin output: more than 100 lines\/s \(after a burst of 500\)$/);
  } finally {
    await plugin.stop();
    await sockets.cleanup();
  }
});

test("a plugin's hclog fields are nested under pluginFields and cannot set the daemon's own keys", async () => {
  const sockets = await makeSocketParent();
  const { lines, logger } = capture();
  const plugin = new PluginProcess({ path: chattyPlugin(), env: { CHATTY_LINES: '0' }, socketParentDir: sockets.dir, logger });
  try {
    await plugin.start();
    await eventually('the spoofing line', () => lines.some((l) => l.msg === 'spoofing the daemon'));
    const line = lines.find((l) => l.msg === 'spoofing the daemon');
    assert.equal(line?.level, 40, 'the level is the one hclog gave');
    assert.equal(line?.pid, process.pid, "pid is the daemon's");
    assert.equal(typeof line?.time, 'number', "time is the daemon's");
    assert.equal(line?.plugin, 'chatty-plugin.js', 'plugin is the name the daemon knows it by');
    assert.equal(line?.component, undefined);
    assert.deepEqual(line?.pluginFields, { time: 'yesterday', pid: 1, plugin: 'someone-else', component: 'api', level: 10 });
  } finally {
    await plugin.stop();
    await sockets.cleanup();
  }
});
