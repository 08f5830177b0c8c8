import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { createLogger, hclogTimestamp, levelFromEnv } from '../../src/sdk/logger.js';
import type { LoggerOptions } from '../../src/sdk/logger.js';

// Go's time layout "2006-01-02T15:04:05.000000Z07:00": six fractional digits, then Z or ±hh:mm.
const GO_LAYOUT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(?:Z|[+-]\d{2}:\d{2})$/;

function capture(options: Omit<LoggerOptions, 'destination'>) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      callback();
    },
  });
  return { logger: createLogger({ ...options, destination }), lines };
}

function parse(line: string | undefined): Record<string, unknown> {
  assert.ok(line !== undefined, 'no line was written');
  return JSON.parse(line) as Record<string, unknown>;
}

describe('hclogTimestamp', () => {
  it('renders microseconds, as hclog does', () => {
    assert.equal(hclogTimestamp(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))), '2024-01-02T03:04:05.678000Z');
    assert.equal(hclogTimestamp(new Date(Date.UTC(2024, 11, 31, 23, 59, 59, 0))), '2024-12-31T23:59:59.000000Z');
    assert.equal(hclogTimestamp(new Date(0)), '1970-01-01T00:00:00.000000Z');
  });

  it('property: always matches Go layout 2006-01-02T15:04:05.000000Z07:00 and keeps the instant', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
        (date) => {
          const ts = hclogTimestamp(date);
          assert.match(ts, GO_LAYOUT);
          assert.equal(ts.slice(0, 23), date.toISOString().slice(0, 23));
          assert.equal(ts.slice(20, 26).length, 6);
          assert.equal(ts.slice(23, 26), '000');
        },
      ),
    );
  });
});

describe('createLogger', () => {
  it('writes one hclog JSON object per line', () => {
    const { logger, lines } = capture({ name: 'aws', level: 'trace' });
    logger.info({ instance: 'i-1' }, 'stopping');
    logger.debug('detail');
    assert.equal(lines.length, 2);
    const first = parse(lines[0]);
    assert.equal(first['@level'], 'info');
    assert.equal(first['@message'], 'stopping');
    assert.equal(first['@module'], 'aws');
    assert.equal(first.instance, 'i-1');
    assert.equal(typeof first['@timestamp'], 'string');
    assert.match(first['@timestamp'] as string, GO_LAYOUT);
    assert.equal('level' in first, false, 'no pino numeric level');
    assert.equal('msg' in first, false, 'no pino msg key');
    assert.equal('time' in first, false, 'no pino time key');
    const second = parse(lines[1]);
    assert.equal(second['@level'], 'debug');
    assert.equal(second['@message'], 'detail');
  });

  it('writes fatal as error, since hclog has no fatal', () => {
    const { logger, lines } = capture({ name: 'p' });
    logger.fatal('giving up');
    const entry = parse(lines[0]);
    assert.equal(entry['@level'], 'error');
    assert.equal(entry['@message'], 'giving up');
  });

  it('writes every level name hclog knows', () => {
    const { logger, lines } = capture({ level: 'trace' });
    logger.trace('t');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    assert.deepEqual(
      lines.map((l) => parse(l)['@level']),
      ['trace', 'debug', 'info', 'warn', 'error'],
    );
  });

  it('has no @module without a name', () => {
    const { logger, lines } = capture({});
    logger.info('x');
    assert.equal('@module' in parse(lines[0]), false);
  });

  it('honours the level', () => {
    const { logger, lines } = capture({ level: 'warn' });
    logger.info('hidden');
    logger.debug('hidden');
    logger.warn('shown');
    assert.equal(lines.length, 1);
    assert.equal(parse(lines[0])['@message'], 'shown');

    const silent = capture({ level: 'silent' });
    silent.logger.fatal('nothing');
    silent.logger.error('nothing');
    assert.deepEqual(silent.lines, []);
  });

  it('logs an error under "error"', () => {
    const { logger, lines } = capture({});
    logger.error({ error: new Error('boom') }, 'failed');
    const entry = parse(lines[0]);
    assert.equal(entry['@message'], 'failed');
    assert.equal((entry.error as { message?: unknown }).message, 'boom');
  });
});

describe('levelFromEnv', () => {
  it('reads known levels, case and space insensitive', () => {
    assert.equal(levelFromEnv('debug'), 'debug');
    assert.equal(levelFromEnv(' TRACE '), 'trace');
    assert.equal(levelFromEnv('Warn'), 'warn');
    assert.equal(levelFromEnv('fatal'), 'fatal');
    assert.equal(levelFromEnv('silent'), 'silent');
  });

  it('falls back for unset or unknown values', () => {
    assert.equal(levelFromEnv(undefined), 'info');
    assert.equal(levelFromEnv(''), 'info');
    assert.equal(levelFromEnv('verbose'), 'info');
    assert.equal(levelFromEnv('warning', 'error'), 'error');
    assert.equal(levelFromEnv(undefined, 'debug'), 'debug');
  });
});
