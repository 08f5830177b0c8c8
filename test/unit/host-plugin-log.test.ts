import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePluginLogLine, renderPluginLogLine } from '../../src/host/plugin-log.js';

describe('parsePluginLogLine', () => {
  it('reads an hclog JSON line into level, message and fields without the envelope', () => {
    const line = JSON.stringify({
      '@level': 'debug',
      '@message': 'listening',
      '@timestamp': '2024-01-02T03:04:05.678000Z',
      '@module': 'aws',
      '@caller': 'main.go:12',
      address: '/tmp/plugin.sock',
      attempt: 2,
    });
    assert.deepEqual(parsePluginLogLine(line), {
      level: 'debug',
      message: 'listening',
      fields: { address: '/tmp/plugin.sock', attempt: 2 },
    });
  });

  it('maps every hclog level', () => {
    const cases: Array<[string, string]> = [
      ['trace', 'trace'],
      ['debug', 'debug'],
      ['info', 'info'],
      ['warn', 'warn'],
      ['warning', 'warn'],
      ['error', 'error'],
      ['fatal', 'error'],
      ['ERROR', 'error'],
      ['Warn', 'warn'],
    ];
    for (const [given, want] of cases) {
      assert.equal(parsePluginLogLine(JSON.stringify({ '@level': given, '@message': 'm' })).level, want, given);
    }
  });

  it('logs an unknown or missing level at info', () => {
    assert.equal(parsePluginLogLine('{"@level":"verbose","@message":"m"}').level, 'info');
    assert.equal(parsePluginLogLine('{"@message":"m"}').level, 'info');
    assert.equal(parsePluginLogLine('{"@level":7,"@message":"m"}').level, 'info');
  });

  it('treats a non-JSON line as an info message with the raw text', () => {
    for (const line of ['plain text', '{not json', '', '[1,2]', '  {"@message":"indented"}']) {
      assert.deepEqual(parsePluginLogLine(line), { level: 'info', message: line, fields: {} }, line);
    }
  });

  it('keeps the raw line for JSON without a string @message', () => {
    for (const line of ['{"level":"error","msg":"pino style"}', '{"@level":"error","@message":42}', '{}', 'null']) {
      assert.deepEqual(parsePluginLogLine(line), { level: 'info', message: line, fields: {} }, line);
    }
  });

  it("keeps fields named like the host logger's keys as they are: the host nests them under pluginFields", () => {
    const entry = parsePluginLogLine(
      JSON.stringify({ '@level': 'info', '@message': 'm', plugin: 'p', msg: 'x', level: 30, time: 1, pid: 2, component: 'api', other: true }),
    );
    assert.deepEqual(entry.fields, { plugin: 'p', msg: 'x', level: 30, time: 1, pid: 2, component: 'api', other: true });
  });
});

describe('renderPluginLogLine', () => {
  it("shows an hclog JSON line as hclog's text format would", () => {
    const line = JSON.stringify({
      '@level': 'error',
      '@message': 'plugin failed to start',
      '@timestamp': '2024-01-02T03:04:05.678000Z',
      '@module': 'local',
      error: 'no free TCP port on 127.0.0.1 in 20000..20000',
      attempt: 2,
    });
    assert.equal(renderPluginLogLine(line), '[ERROR] plugin failed to start: error="no free TCP port on 127.0.0.1 in 20000..20000" attempt=2');
    assert.equal(renderPluginLogLine('{"@level":"info","@message":"ready"}'), '[INFO] ready');
  });

  it('leaves any other line as it is', () => {
    for (const line of ['load any plugins automatically', '{not json', '{"msg":"pino"}', '']) assert.equal(renderPluginLogLine(line), line);
  });
});
