// The bounded body reader and JSON body parsing.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { announcesBody, BODY_LIMIT_BYTES, checkBodyHeaders, parseJsonObject, readBody } from '../../src/daemon/api/body.js';
import { ApiError } from '../../src/daemon/api/errors.js';

const code = (expected: string) => (error: unknown) => {
  assert.ok(error instanceof ApiError, String(error));
  assert.equal(error.code, expected);
  return true;
};

test('the limit is 64 KiB', () => {
  assert.equal(BODY_LIMIT_BYTES, 65_536);
});

test('readBody returns the whole body up to the limit, exactly at the limit too', async () => {
  assert.deepEqual(await readBody(Readable.from([Buffer.from('{"a":'), Buffer.from('1}')])), Buffer.from('{"a":1}'));
  const full = Buffer.alloc(100, 7);
  assert.deepEqual(await readBody(Readable.from([full.subarray(0, 60), full.subarray(60)]), 100), full);
  assert.equal((await readBody(Readable.from([]), 100)).length, 0);
});

test('readBody rejects one byte over the limit', async () => {
  await assert.rejects(readBody(Readable.from([Buffer.alloc(60), Buffer.alloc(41)]), 100), code('BODY_TOO_LARGE'));
});

test('readBody stops reading an endless body once over the limit', async () => {
  const limit = 10 * 1024;
  const chunk = 1024;
  let produced = 0;
  const endless = new Readable({
    read() {
      produced += 1;
      this.push(Buffer.alloc(chunk));
    },
  });
  // What the stream reads ahead by itself, whoever consumes it: its buffer
  // (16 KiB on Node 20, 64 KiB from Node 22), not readBody's doing.
  const readAhead = Math.ceil(endless.readableHighWaterMark / chunk);
  await assert.rejects(readBody(endless, limit), code('BODY_TOO_LARGE'));
  const atRejection = produced;
  assert.ok(endless.isPaused(), 'the stream is paused');
  assert.equal(endless.listenerCount('data'), 0, 'no one listens any more');
  const overLimit = limit / chunk + 1;
  assert.ok(atRejection >= overLimit, `read past the limit before refusing: ${atRejection} chunks`);
  assert.ok(atRejection <= overLimit + readAhead, `read up to the limit, not more: ${atRejection} chunks (limit ${overLimit} + read-ahead ${readAhead})`);
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.ok(produced - atRejection <= readAhead, `at most one buffer refill after pausing: ${produced - atRejection}`);
  endless.destroy();
});

test('readBody passes stream errors and early closes on', async () => {
  const broken = new Readable({
    read() {
      this.destroy(new Error('socket hang up'));
    },
  });
  await assert.rejects(readBody(broken), /socket hang up/);
  const cut = new Readable({ read() {} });
  cut.push(Buffer.from('{"a"'));
  const reading = readBody(cut);
  cut.destroy();
  await assert.rejects(reading, code('BODY_INCOMPLETE'));
});

test('checkBodyHeaders: a body must be JSON, and an announced size over the limit is refused unread', () => {
  assert.doesNotThrow(() => checkBodyHeaders({}));
  assert.doesNotThrow(() => checkBodyHeaders({ 'content-length': '0', 'content-type': 'text/plain' }));
  assert.doesNotThrow(() => checkBodyHeaders({ 'content-length': '10', 'content-type': 'application/json' }));
  assert.doesNotThrow(() => checkBodyHeaders({ 'content-length': '10', 'content-type': 'Application/JSON; charset=utf-8' }));
  assert.throws(() => checkBodyHeaders({ 'content-length': '10', 'content-type': 'text/plain' }), code('UNSUPPORTED_MEDIA_TYPE'));
  assert.throws(() => checkBodyHeaders({ 'content-length': '10' }), code('UNSUPPORTED_MEDIA_TYPE'));
  assert.throws(() => checkBodyHeaders({ 'transfer-encoding': 'chunked', 'content-type': 'application/x-www-form-urlencoded' }), code('UNSUPPORTED_MEDIA_TYPE'));
  assert.throws(() => checkBodyHeaders({ 'content-length': '101', 'content-type': 'application/json' }, 100), code('BODY_TOO_LARGE'));
  assert.doesNotThrow(() => checkBodyHeaders({ 'content-length': '100', 'content-type': 'application/json' }, 100));
});

test('announcesBody', () => {
  assert.equal(announcesBody({}), false);
  assert.equal(announcesBody({ 'content-length': '0' }), false);
  assert.equal(announcesBody({ 'content-length': '1' }), true);
  assert.equal(announcesBody({ 'transfer-encoding': 'chunked' }), true);
});

test('parseJsonObject: empty is {}, an object is itself, anything else is refused', () => {
  assert.deepEqual(parseJsonObject(Buffer.alloc(0)), {});
  assert.deepEqual(parseJsonObject(Buffer.from('{"plugin":"aws"}')), { plugin: 'aws' });
  for (const bad of ['{', 'aws', "{'a':1}", '{"a":1}}']) assert.throws(() => parseJsonObject(Buffer.from(bad)), code('BAD_JSON'), bad);
  assert.throws(() => parseJsonObject(Buffer.from([0x7b, 0xff, 0x7d])), code('BAD_JSON'), 'invalid UTF-8');
  for (const bad of ['[]', 'null', '1', '"s"', 'true']) assert.throws(() => parseJsonObject(Buffer.from(bad)), code('BODY_INVALID'), bad);
});
