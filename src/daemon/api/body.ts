// Request bodies: read at most `limit` bytes, never buffer more, and parse a
// JSON object out of them.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { ApiError } from './errors.js';

/** The largest request body the API reads. */
export const BODY_LIMIT_BYTES = 64 * 1024;

function tooLarge(limit: number): ApiError {
  return new ApiError('BODY_TOO_LARGE', `request body larger than ${limit} bytes`);
}

/** True when the request announces a body (a positive Content-Length or a Transfer-Encoding). */
export function announcesBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && Number(length) > 0;
}

/** Refuses a body that is not JSON (415) and one announced larger than the limit (413), before reading it. */
export function checkBodyHeaders(headers: IncomingHttpHeaders, limit = BODY_LIMIT_BYTES): void {
  if (!announcesBody(headers)) return;
  const type = (headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json') {
    throw new ApiError(
      'UNSUPPORTED_MEDIA_TYPE',
      `request body must be JSON (Content-Type: application/json), not ${JSON.stringify(type === '' ? 'unspecified' : type.slice(0, 80))}`,
    );
  }
  const length = headers['content-length'];
  if (length !== undefined && Number(length) > limit) throw tooLarge(limit);
}

/**
 * Reads the whole stream, or rejects with BODY_TOO_LARGE as soon as more than
 * `limit` bytes have arrived: it then stops listening and pauses the stream,
 * and the bytes read so far are dropped. The stream is not destroyed, so the
 * caller can still answer on the same connection (and should close it).
 */
export function readBody(stream: Readable, limit = BODY_LIMIT_BYTES): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > limit) {
        cleanup();
        stream.pause();
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(new ApiError('BODY_INCOMPLETE', 'the connection closed before the request body was complete'));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** An empty body is `{}`; anything else must be a JSON object. */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch (error) {
    const why = error instanceof SyntaxError ? error.message : 'not valid UTF-8';
    throw new ApiError('BAD_JSON', `request body is not valid JSON: ${why}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new ApiError('BODY_INVALID', `request body must be a JSON object, not ${kind}`);
  }
  return value as Record<string, unknown>;
}
