// The API's header and request timeouts (the slowloris guard), checked only
// while a connection is open.
//
// Node's HTTP server enforces its own headersTimeout and requestTimeout from
// one setInterval that runs for the server's whole life, whether or not any
// connection exists. At the precision these timeouts need (a tenth of the
// header timeout: 1 s) that interval woke an idle daemon every second, a sixth
// of its idle CPU. Here the check runs at the same pace, but only while there
// is a connection to check; Node's own interval is pushed out of the way.
//
// A connection's clock starts when it opens and again when an answer to its
// previous request has gone out (keep-alive): its next request must have its
// headers within `headersMs` and be whole within `requestMs`. Then the
// request's handler has the connection; its own deadlines apply, not these.
// An expired connection gets what Node sends in that case, 408 with
// Connection: close, unless an answer has begun, and is closed.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Options for createServer that switch Node's own checking off (its interval can not be stopped, only delayed). */
export const NODE_TIMEOUTS_OFF = { headersTimeout: 0, requestTimeout: 0, connectionsCheckingInterval: 2_147_483_647 } as const;

const TIMEOUT_REPLY = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';

interface Waiting {
  /** When the connection opened, or its previous answer finished. */
  since: number;
  /** The request being received; undefined while its headers are still on their way. */
  request: IncomingMessage | undefined;
  response: ServerResponse | undefined;
}

export interface RequestTimeouts {
  readonly headersMs: number;
  readonly requestMs: number;
  /** How often open connections are checked; the timeouts hold to within this. */
  readonly checkMs: number;
}

export function enforceRequestTimeouts(server: Server, timeouts: RequestTimeouts, now: () => number = () => performance.now()): void {
  const open = new Map<Socket, Waiting>();
  let timer: NodeJS.Timeout | undefined;

  const expire = (socket: Socket, waiting: Waiting): void => {
    open.delete(socket);
    if (waiting.response?.headersSent !== true && socket.writable) socket.end(TIMEOUT_REPLY);
    socket.destroy();
  };
  const check = (): void => {
    const t = now();
    for (const [socket, waiting] of open) {
      if (waiting.request === undefined) {
        if (t - waiting.since >= timeouts.headersMs) expire(socket, waiting);
      } else if (!waiting.request.complete && t - waiting.since >= timeouts.requestMs) {
        expire(socket, waiting);
      }
    }
    if (open.size === 0) stop();
  };
  const stop = (): void => {
    clearInterval(timer);
    timer = undefined;
  };

  server.on('connection', (socket: Socket) => {
    open.set(socket, { since: now(), request: undefined, response: undefined });
    socket.once('close', () => {
      open.delete(socket);
      if (open.size === 0) stop();
    });
    if (timer === undefined) {
      timer = setInterval(check, timeouts.checkMs);
      timer.unref();
    }
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const waiting = open.get(request.socket);
    if (waiting === undefined) return;
    waiting.request = request;
    waiting.response = response;
    response.once('finish', () => {
      // Keep-alive: the clock starts again for the next request on this connection.
      if (open.get(request.socket) === waiting) Object.assign(waiting, { since: now(), request: undefined, response: undefined });
    });
  });
  server.once('close', stop);
}
