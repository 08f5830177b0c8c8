// One HTTP/1.1 exchange with the daemon over its unix socket, on node:net
// alone.
//
// Why not node:http: loading it (its agent, client, server, parser binding,
// a dozen modules) and building a request with it was the largest part of
// `snoozebot plugins list` after Node's own start (bench row t2,
// docs/benchmarks.md), for one small request. The other end is always the
// daemon's node:http server (src/daemon/api/server.ts), and the CLI asks one
// thing per connection, so the HTTP it needs is small and fixed:
//
// - one request, `connection: close`, its body (if any) sized by content-length;
// - an answer: a status line, header lines, an empty line, then a body framed
//   by content-length (what the daemon sends), by chunked transfer coding, or
//   by the end of the connection (RFC 9112, section 6.3);
// - the answer ends at its framing's end; anything malformed is an error that
//   says what was wrong, never a guess. Informational (1xx) answers are not
//   expected: the CLI never sends `expect`.

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Lower-case names. `host`, `connection` and `content-length` are added. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface HttpAnswer {
  readonly status: number;
  /** Lower-case names; a repeated header's values joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

/** Why an exchange failed. `connect` carries the errno (ENOENT, ECONNREFUSED…); the others a message. */
export type HttpExchangeFailure =
  | { readonly kind: 'connect'; readonly errno: string; readonly message: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'too-large'; readonly maxBytes: number }
  | { readonly kind: 'broken'; readonly message: string };

export class HttpExchangeError extends Error {
  override readonly name = 'HttpExchangeError';
  constructor(readonly failure: HttpExchangeFailure) {
    super(describe(failure));
  }
}

function describe(failure: HttpExchangeFailure): string {
  switch (failure.kind) {
    case 'connect':
      return failure.message;
    case 'timeout':
      return 'no answer in time';
    case 'too-large':
      return `the answer is larger than ${failure.maxBytes} bytes`;
    case 'broken':
      return failure.message;
  }
}

/** The request's bytes. */
export function encodeRequest(request: HttpRequest): Buffer {
  if (!/^\/[\x21-\x7e]*$/.test(request.path)) throw new TypeError(`not a request path: ${JSON.stringify(request.path)}`);
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  const lines = [`${request.method} ${request.path} HTTP/1.1`, 'host: localhost', 'connection: close'];
  for (const [name, value] of Object.entries(request.headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new TypeError(`header ${JSON.stringify(name)} has a line break`);
    lines.push(`${name}: ${value}`);
  }
  if (body !== undefined) lines.push(`content-length: ${body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return body === undefined ? head : Buffer.concat([head, body]);
}

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
/** Longer than any head the daemon sends by far; a stream with no empty line by then is not HTTP. */
const MAX_HEAD_BYTES = 64 * 1024;

type Framing = { readonly kind: 'length'; readonly length: number } | { readonly kind: 'chunked' } | { readonly kind: 'close' };

interface Head {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly framing: Framing;
  /** Where the body starts in the bytes read. */
  readonly bodyStart: number;
}

function broken(message: string): HttpExchangeError {
  return new HttpExchangeError({ kind: 'broken', message });
}

/** Parses the head (status line and headers, without the empty line that ends it). */
export function parseHead(text: string): { status: number; headers: Map<string, string> } {
  const [statusLine = '', ...headerLines] = text.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine);
  if (match === null) throw broken(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine.slice(0, 80))}`);
  const status = Number(match[1]);
  if (status < 200) throw broken(`unexpected informational answer ${status}`);
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon <= 0 || /[\s]/.test(line.slice(0, colon))) throw broken(`not a header line: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  return { status, headers };
}

function framingOf(headers: ReadonlyMap<string, string>): Framing {
  const coding = headers.get('transfer-encoding');
  if (coding !== undefined) {
    if (coding.trim().toLowerCase() !== 'chunked') throw broken(`unsupported transfer-encoding: ${coding}`);
    return { kind: 'chunked' };
  }
  const length = headers.get('content-length');
  if (length === undefined) return { kind: 'close' };
  // "a, a" (a repeated header) is allowed when every value is the same (RFC 9110, section 8.6).
  const values = new Set(length.split(',').map((v) => v.trim()));
  const [only] = values;
  if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) throw broken(`bad content-length: ${length}`);
  return { kind: 'length', length: Number(only) };
}

/**
 * Decodes a chunked body; `undefined` while its last chunk has not arrived.
 * Chunk extensions and trailers are read past and dropped.
 */
export function decodeChunked(bytes: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at, 'latin1');
    if (lineEnd < 0) return undefined;
    const sizeText = bytes.toString('latin1', at, lineEnd).split(';', 1)[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) throw broken(`bad chunk size: ${JSON.stringify(sizeText.slice(0, 20))}`);
    const size = Number.parseInt(sizeText, 16);
    at = lineEnd + 2;
    if (size === 0) {
      // Trailers, each a line, then an empty line.
      for (;;) {
        const end = bytes.indexOf('\r\n', at, 'latin1');
        if (end < 0) return undefined;
        if (end === at) return Buffer.concat(parts);
        at = end + 2;
      }
    }
    if (bytes.length < at + size + 2) return undefined;
    if (bytes[at + size] !== 0x0d || bytes[at + size + 1] !== 0x0a) throw broken('a chunk does not end where its size says');
    parts.push(bytes.subarray(at, at + size));
    at += size + 2;
  }
}

/**
 * Collects an answer from the bytes as they arrive: `push` says when it is
 * whole, `end` (the connection closed) returns it or says what is missing.
 */
export class AnswerReader {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private head: Head | undefined;

  constructor(private readonly maxBytes: number) {}

  /** Adds bytes; returns the answer once it is complete. */
  push(chunk: Buffer): HttpAnswer | undefined {
    this.size += chunk.length;
    if (this.size > this.maxBytes) throw new HttpExchangeError({ kind: 'too-large', maxBytes: this.maxBytes });
    this.chunks.push(chunk);
    if (this.head === undefined) {
      this.head = this.readHead(this.joined());
      if (this.head === undefined) return undefined;
    } else if (!this.mayBeWhole(this.head, chunk)) {
      return undefined;
    }
    return this.complete(this.head, this.joined(), false);
  }

  /** The connection ended: the answer, if it is whole. */
  end(): HttpAnswer {
    const bytes = this.joined();
    if (this.head === undefined) {
      throw broken(bytes.length === 0 ? 'the connection closed without an answer' : 'the connection closed in the middle of the answer');
    }
    const answer = this.complete(this.head, bytes, true);
    if (answer === undefined) throw broken('the connection closed in the middle of the answer');
    return answer;
  }

  /** The bytes so far as one buffer, kept as the only chunk (so a large answer is copied once, not at every read). */
  private joined(): Buffer {
    if (this.chunks.length !== 1) this.chunks.splice(0, this.chunks.length, Buffer.concat(this.chunks, this.size));
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** Cheap test before joining: could the bytes up to `last` hold the whole answer? */
  private mayBeWhole(head: Head, last: Buffer): boolean {
    switch (head.framing.kind) {
      case 'length':
        return this.size - head.bodyStart >= head.framing.length;
      case 'chunked':
        // A chunked body ends with its last chunk, trailers, and an empty line.
        return this.size - head.bodyStart >= 5 && (last.length >= 4 ? last.subarray(-4).equals(HEAD_END) : this.joined().subarray(-4).equals(HEAD_END));
      case 'close':
        return false;
    }
  }

  private readHead(bytes: Buffer): Head | undefined {
    const end = bytes.indexOf(HEAD_END);
    if (end < 0) {
      if (bytes.length > MAX_HEAD_BYTES) throw broken(`no end of the answer's headers in its first ${MAX_HEAD_BYTES} bytes`);
      return undefined;
    }
    const { status, headers } = parseHead(bytes.toString('latin1', 0, end));
    return { status, headers, framing: framingOf(headers), bodyStart: end + HEAD_END.length };
  }

  private complete(head: Head, bytes: Buffer, ended: boolean): HttpAnswer | undefined {
    const rest = bytes.subarray(head.bodyStart);
    let body: Buffer | undefined;
    switch (head.framing.kind) {
      case 'length':
        body = rest.length >= head.framing.length ? rest.subarray(0, head.framing.length) : undefined;
        break;
      case 'chunked':
        body = decodeChunked(rest);
        break;
      case 'close':
        body = ended ? rest : undefined;
        break;
    }
    return body === undefined ? undefined : { status: head.status, headers: head.headers, body };
  }
}

export interface ExchangeOptions {
  /** The longest the daemon may be silent (no byte either way) before the exchange fails. */
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/** Sends `request` on a new connection to `socketPath` and reads the answer. */
export function exchange(socketPath: string, request: HttpRequest, options: ExchangeOptions): Promise<HttpAnswer> {
  const bytes = encodeRequest(request);
  const { connect } = process.getBuiltinModule('node:net');
  return new Promise<HttpAnswer>((resolve, reject) => {
    const reader = new AnswerReader(options.maxBytes);
    let connected = false;
    let settled = false;
    const socket = connect(socketPath);
    const settle = (outcome: HttpAnswer | HttpExchangeError) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (outcome instanceof HttpExchangeError) reject(outcome);
      else resolve(outcome);
    };
    const attempt = (step: () => HttpAnswer | undefined) => {
      try {
        const answer = step();
        if (answer !== undefined) settle(answer);
      } catch (error) {
        settle(error instanceof HttpExchangeError ? error : broken(String(error)));
      }
    };
    socket.setTimeout(options.timeoutMs, () => settle(new HttpExchangeError({ kind: 'timeout' })));
    socket.once('connect', () => {
      connected = true;
      // Not end(): node:http's server takes a half-closed connection for an abandoned request.
      socket.write(bytes);
    });
    socket.on('data', (chunk: Buffer) => attempt(() => reader.push(chunk)));
    socket.once('end', () => attempt(() => reader.end()));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (!connected && error.code !== undefined) settle(new HttpExchangeError({ kind: 'connect', errno: error.code, message: error.message }));
      else settle(broken(error.message));
    });
    socket.once('close', () => settle(broken('the connection closed without an answer')));
  });
}
