// The CLI's HTTP/1.1 exchange (src/cli/http-exchange.ts): the request bytes
// and how an answer is read, fed in pieces as a socket would, bad answers included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnswerReader, decodeChunked, encodeRequest, HttpExchangeError, parseHead } from '../../src/cli/http-exchange.js';
import type { HttpAnswer } from '../../src/cli/http-exchange.js';

const MAX = 1024 * 1024;

/** Feeds `text` to a reader `pieceSize` bytes at a time; the answer, and how many bytes were read when it was whole. */
function read(text: string | Buffer, pieceSize: number, ended = true): { answer: HttpAnswer; readBytes: number } {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  const reader = new AnswerReader(MAX);
  for (let at = 0; at < bytes.length; at += pieceSize) {
    const answer = reader.push(bytes.subarray(at, at + pieceSize));
    if (answer !== undefined) return { answer, readBytes: Math.min(bytes.length, at + pieceSize) };
  }
  if (!ended) throw new Error('no answer before the end');
  return { answer: reader.end(), readBytes: bytes.length };
}

function failure(fn: () => unknown): HttpExchangeError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof HttpExchangeError, String(error));
    return error;
  }
  assert.fail('expected an HttpExchangeError');
}

test('a request: one line per header, connection: close, the body sized in bytes', () => {
  const get = encodeRequest({ method: 'GET', path: '/v1/plugins', headers: { accept: 'application/json' } }).toString('latin1');
  assert.equal(get, 'GET /v1/plugins HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\naccept: application/json\r\n\r\n');
  const post = encodeRequest({ method: 'POST', path: '/v1/instance/stop', headers: {}, body: '{"plugin":"café"}' });
  assert.match(post.toString('latin1'), /\r\ncontent-length: 18\r\n\r\n/);
  assert.equal(post.subarray(post.length - 18).toString('utf8'), '{"plugin":"café"}');
});

test('a request refuses a path or header that would split it', () => {
  assert.throws(() => encodeRequest({ method: 'GET', path: '/v1/x y', headers: {} }), /not a request path/);
  assert.throws(() => encodeRequest({ method: 'GET', path: 'v1', headers: {} }), /not a request path/);
  assert.throws(() => encodeRequest({ method: 'GET', path: '/v1', headers: { a: 'b\r\nx: y' } }), /line break/);
});

test('content-length: the answer is whole at its last byte, however the bytes arrive', () => {
  const body = '{"plugins":[]}';
  const text = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  for (const piece of [1, 2, 7, 16, text.length]) {
    const { answer, readBytes } = read(text, piece, false);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.toString(), body);
    assert.equal(answer.headers.get('content-type'), 'application/json');
    assert.equal(readBytes, text.length, `piece ${piece}`);
  }
});

test('chunked: decoded, extensions and trailers read past', () => {
  const text = 'HTTP/1.1 503 Service Unavailable\r\ntransfer-encoding: chunked\r\n\r\n4;x=y\r\n{"a"\r\n5\r\n:"b"}\r\n0\r\nx-trailer: 1\r\n\r\n';
  for (const piece of [1, 3, text.length]) {
    const { answer } = read(text, piece, false);
    assert.equal(answer.status, 503);
    assert.equal(answer.body.toString(), '{"a":"b"}');
  }
  assert.equal(decodeChunked(Buffer.from('4\r\nabcd\r\n')), undefined);
  assert.equal(decodeChunked(Buffer.from('4\r\nab')), undefined);
  assert.equal(decodeChunked(Buffer.from('0\r\n\r\n'))?.length, 0);
});

test('no framing: the body is what came before the connection closed', () => {
  const { answer } = read('HTTP/1.0 200 OK\r\n\r\n{"ok":true}', 4);
  assert.equal(answer.body.toString(), '{"ok":true}');
});

test('a repeated header is joined; a repeated equal content-length is one', () => {
  const { answer } = read('HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\nok', 5, false);
  assert.equal(answer.headers.get('x-a'), '1, 2');
  assert.equal(answer.body.toString(), 'ok');
});

test('bad answers: one error each, saying what was wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /closed without an answer/],
    ['HTTP/1.1 200 OK\r\ncontent-length: 10\r\n', /closed in the middle of the answer/],
    ['HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{"a":', /closed in the middle of the answer/],
    ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab', /closed in the middle of the answer/],
    ['SSH-2.0-OpenSSH\r\n\r\n', /not an HTTP\/1.1 status line: "SSH-2.0-OpenSSH"/],
    ['HTTP/2 200\r\n\r\n', /not an HTTP\/1.1 status line/],
    ['HTTP/1.1 100 Continue\r\n\r\n', /unexpected informational answer 100/],
    ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /not a header line: "no colon here"/],
    ['HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n', /not a header line/],
    ['HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n', /bad content-length: -1/],
    ['HTTP/1.1 200 OK\r\ncontent-length: 1, 2\r\n\r\n', /bad content-length: 1, 2/],
    ['HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n', /unsupported transfer-encoding: gzip/],
    ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', /bad chunk size: "zz"/],
    ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabcd\r\n', /does not end where its size says/],
  ];
  for (const [text, expected] of cases) {
    const error = failure(() => read(text, 3));
    assert.equal(error.failure.kind, 'broken', text);
    assert.match(error.message, expected, JSON.stringify(text));
  }
});

test('an answer larger than the limit stops the reading', () => {
  const reader = new AnswerReader(100);
  reader.push(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 500\r\n\r\n'));
  const error = failure(() => reader.push(Buffer.alloc(100, 0x61)));
  assert.deepEqual(error.failure, { kind: 'too-large', maxBytes: 100 });
  assert.match(error.message, /larger than 100 bytes/);
});

test('a stream with no end of headers is not taken for HTTP forever', () => {
  const reader = new AnswerReader(MAX);
  reader.push(Buffer.from('HTTP/1.1 200 OK\r\n'));
  const error = failure(() => reader.push(Buffer.alloc(70 * 1024, 0x61)));
  assert.match(error.message, /no end of the answer's headers/);
});

test('parseHead keeps the status and lower-cases header names', () => {
  const { status, headers } = parseHead('HTTP/1.1 404 Not Found\r\nCache-Control:  no-store ');
  assert.equal(status, 404);
  assert.equal(headers.get('cache-control'), 'no-store');
});
