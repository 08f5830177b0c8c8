// At most `max` open connections to the API. Every connection holds a file
// descriptor: without a cap, a local client opening idle connections (each
// one allowed to sit until the header timeout) can use every descriptor the
// daemon has, and then the daemon cannot open a plugin's socket or a file.
//
// Node's own server.maxConnections closes the extra connection without a
// word; a client deserves to know why, so the extra one gets a 503
// TOO_MANY_CONNECTIONS answer and is closed as soon as that is written,
// without its request being read or run.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError, errorReply } from './errors.js';

export const DEFAULT_MAX_CONNECTIONS = 256;
/** An over-limit connection is closed once its 503 is flushed, or after this at the latest. */
const REFUSED_LINGER_MS = 1_000;

export interface ConnectionLimit {
  /** Connections counted against the limit right now. */
  readonly open: number;
  /** True for a connection that got the 503: its requests must not be handled. */
  refused(socket: Socket): boolean;
}

function refusal(max: number): string {
  const reply = errorReply(
    new ApiError('TOO_MANY_CONNECTIONS', `the daemon already has ${max} API connections open (maxConnections); close idle ones and retry`),
  );
  const body = `${JSON.stringify(reply.body)}\n`;
  return (
    'HTTP/1.1 503 Service Unavailable\r\n' +
    'content-type: application/json; charset=utf-8\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    'cache-control: no-store\r\n' +
    'connection: close\r\n\r\n' +
    body
  );
}

export function limitConnections(server: Server, max: number, onRefused: (open: number) => void): ConnectionLimit {
  const open = new Set<Socket>();
  const refused = new WeakSet<Socket>();
  const answer = refusal(max);
  // Before the HTTP server's own listener, so the count is right when it runs.
  server.prependListener('connection', (socket: Socket) => {
    if (open.size < max) {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      return;
    }
    refused.add(socket);
    socket.on('error', () => undefined);
    const timer = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
    timer.unref();
    socket.end(answer, () => {
      clearTimeout(timer);
      socket.destroy();
    });
    onRefused(open.size);
  });
  return {
    get open() {
      return open.size;
    },
    refused: (socket) => refused.has(socket),
  };
}
