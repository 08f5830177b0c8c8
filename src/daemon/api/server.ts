// The daemon's local API: JSON over HTTP on a unix socket (docs/api.md).
// Access control is the socket's mode, 0660: root and the socket's group
// (`socketGroup`). The socket is private from the first instant (see
// listenPrivately), connections are capped (connection-limit.ts), and slow
// clients are cut off by the header and request timeouts.
import { chmod, chown, lstat, mkdir, unlink } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { DaemonControl } from '../types.js';
import { BODY_LIMIT_BYTES, checkBodyHeaders, parseJsonObject, readBody } from './body.js';
import { DEFAULT_MAX_CONNECTIONS, limitConnections } from './connection-limit.js';
import { ApiError, errorReply } from './errors.js';
import { enforceRequestTimeouts, NODE_TIMEOUTS_OFF } from './request-timeouts.js';
import { resolveSocketGroup } from './socket-group.js';
import { createRouter } from './router.js';
import { checkBody, PARAMS, ROUTES } from './routes.js';
import type { MetricsSource, Reply } from './routes.js';

export { DEFAULT_SOCKET_PATH } from './socket-path.js';
export const SOCKET_MODE = 0o660;
export const SOCKET_DIR_MODE = 0o755;
/** How long close() waits for requests in flight to be answered before it cuts them off. */
const IN_FLIGHT_GRACE_MS = 5_000;
/** docs/api.md, "Limits". */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
/** The longest pause between Node's checks for connections over those timeouts. */
const TIMEOUT_CHECK_MS = 1_000;
/** While the socket is bound: nobody but its owner may connect (socket 0700, see listenPrivately). */
const PRIVATE_UMASK = 0o077;

export interface ApiServerOptions {
  readonly socketPath: string;
  readonly control: DaemonControl;
  readonly metrics: MetricsSource;
  readonly logger: Logger;
  /** Connections beyond this get 503 TOO_MANY_CONNECTIONS (default 256). */
  readonly maxConnections?: number;
  /** Group the socket is chowned to (the config's `socketGroup`: a name or a gid); default: the daemon's own group. */
  readonly socketGroup?: string | number | null;
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Called once the socket is bound, before it is opened to its group; tests look at it there. */
  readonly onBound?: (socketPath: string) => Promise<void> | void;
}

export interface ApiServer {
  /** Stops listening, cuts open connections, removes the socket file. */
  close(): Promise<void>;
}

/** Another process accepts connections on the socket: the daemon must not take it over. */
export class SocketInUseError extends Error {
  override readonly name = 'SocketInUseError';
  readonly code = 'SOCKET_IN_USE';
  constructor(readonly socketPath: string) {
    super(`another snoozebot daemon is listening on ${socketPath}; stop it first, or give this one another --socket`);
  }
}

const errnoCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;

/** 'absent', 'stale' (a socket file nobody listens on), or throws when someone answers. */
async function probeSocket(socketPath: string): Promise<'absent' | 'stale'> {
  let stats;
  try {
    stats = await lstat(socketPath);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 'absent';
    throw error;
  }
  if (!stats.isSocket()) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it (remove it or choose another --socket)`);
  return new Promise((resolve, reject) => {
    const probe = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      reject(new SocketInUseError(socketPath));
    });
    probe.once('error', (error) => {
      probe.destroy();
      const code = errnoCode(error);
      if (code === 'ECONNREFUSED') resolve('stale');
      else if (code === 'ENOENT') resolve('absent');
      else if (code === 'EAGAIN') reject(new SocketInUseError(socketPath)); // backlog full: someone is there
      else reject(error);
    });
  });
}

async function prepareSocketPath(socketPath: string, logger: Logger): Promise<void> {
  const dir = dirname(socketPath);
  const created = await mkdir(dir, { recursive: true, mode: SOCKET_DIR_MODE });
  if (created !== undefined) {
    await chmod(dir, SOCKET_DIR_MODE); // mkdir's mode is filtered by the umask
    logger.info({ dir }, 'created the API socket directory');
  }
  if ((await probeSocket(socketPath)) === 'stale') {
    logger.info({ socket: socketPath }, 'removing a stale API socket');
    await unlink(socketPath).catch((error: unknown) => {
      if (errnoCode(error) !== 'ENOENT') throw error;
    });
  }
}

function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A body we did not read (refused early, or too large) is not drained: the connection closes.
  if (!req.complete) headers = { ...headers, connection: 'close' };
  res.writeHead(status, { 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function sendReply(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  if ('json' in reply) {
    send(req, res, reply.status, { 'content-type': 'application/json; charset=utf-8' }, `${JSON.stringify(reply.json)}\n`);
  } else {
    send(req, res, reply.status, { 'content-type': reply.contentType }, reply.text);
  }
}

/**
 * server.listen() under a restrictive umask: bind() creates the socket file
 * with mode 0777 & ~umask, and with the usual umask (022) or a careless one
 * (000) others could connect in the moment before chmod. With 077 the socket
 * is born 0700; only chmod (after this) opens it to the group.
 *
 * process.umask() is process-wide, so the window is kept to the synchronous
 * part of listen(): the bind happens inside that call (net's listen binds
 * the pipe handle before it returns; only the 'listening' event is deferred),
 * no JavaScript runs in between, and the old umask is back before anything
 * else can be scheduled. Files made meanwhile by libuv's thread pool (the
 * only other thing that could run) just come out owner-only, never more open.
 */
function listenPrivately(server: Server, socketPath: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(errnoCode(error) === 'EADDRINUSE' ? new SocketInUseError(socketPath) : error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    const previous = process.umask(PRIVATE_UMASK);
    try {
      server.listen(socketPath);
    } finally {
      process.umask(previous);
    }
  });
}

/** Throws unless the freshly bound socket is closed to everyone but its owner. */
async function assertPrivate(socketPath: string): Promise<void> {
  const stats = await lstat(socketPath);
  if (!stats.isSocket() || (stats.mode & 0o077) !== 0) {
    throw new Error(`the API socket ${socketPath} came out with mode ${(stats.mode & 0o777).toString(8)}, not private to its owner; not opening it`);
  }
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { socketPath, control, metrics } = options;
  const logger = options.logger.child({ component: 'api' });
  const router = createRouter(ROUTES, { params: PARAMS });
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;

  async function dispatch(req: IncomingMessage): Promise<Reply> {
    const match = router.match(req.method ?? '', req.url ?? '');
    if (match.kind === 'not-found') throw new ApiError('ROUTE_NOT_FOUND', `no such route: ${req.method} ${(req.url ?? '').split('?')[0]?.slice(0, 200)} (see docs/api.md)`);
    if (match.kind === 'method-not-allowed') {
      const allow = match.allow.join(', ');
      throw new ApiError('METHOD_NOT_ALLOWED', `method ${req.method} not allowed here; allowed: ${allow}`, { allow });
    }
    let body: Record<string, unknown> = {};
    if (match.route.body !== undefined) {
      checkBodyHeaders(req.headers, BODY_LIMIT_BYTES);
      body = checkBody(match.route, parseJsonObject(await readBody(req, BODY_LIMIT_BYTES)));
    }
    return match.route.handler({ control, metrics, params: match.params, query: match.query, body });
  }

  // Requests being answered: close() lets them finish before it cuts the connections.
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    // An over-limit connection has its 503 already; nothing it asks is run.
    if (limit.refused(req.socket)) return void res.destroy();
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) drained?.();
    });
    const started = performance.now();
    const method = req.method ?? '';
    const path = (req.url ?? '').slice(0, 300);
    let status = 0;
    dispatch(req)
      .then(
        (reply) => {
          status = reply.status;
          sendReply(req, res, reply);
        },
        (error: unknown) => {
          const reply = errorReply(error);
          status = reply.status;
          if (reply.unexpected) logger.error({ err: error, method, path }, 'API request failed with an unexpected error');
          send(req, res, reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers }, `${JSON.stringify(reply.body)}\n`);
        },
      )
      .catch((error: unknown) => {
        logger.error({ err: error, method, path }, 'could not answer an API request');
        res.destroy();
      })
      .finally(() => {
        logger.debug({ method, path, status, ms: Math.round((performance.now() - started) * 1000) / 1000 }, 'api request');
      });
  };
  const server = createServer(NODE_TIMEOUTS_OFF, handle);
  const headersMs = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  enforceRequestTimeouts(server, {
    headersMs,
    requestMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    // A tenth of the header timeout (1 s for the default 10 s): the timeouts hold to within 10 %.
    checkMs: Math.max(10, Math.min(TIMEOUT_CHECK_MS, Math.floor(headersMs / 10))),
  });
  // One warning per burst, not one per refused connection: a flood must not flood the log too.
  let lastRefusalLog = 0;
  const limit = limitConnections(server, maxConnections, (open) => {
    const now = Date.now();
    if (now - lastRefusalLog < 1_000) return;
    lastRefusalLog = now;
    logger.warn({ open, maxConnections }, 'API connection refused with 503: maxConnections reached');
  });

  // Before anything is bound: an unknown group is a config error, not a half-open socket.
  const socketGid = options.socketGroup === undefined || options.socketGroup === null ? undefined : await resolveSocketGroup(options.socketGroup);
  await prepareSocketPath(socketPath, logger);
  await listenPrivately(server, socketPath);
  try {
    await assertPrivate(socketPath);
    await options.onBound?.(socketPath);
    // Group first, then mode: the socket opens to the right group or not at all.
    if (socketGid !== undefined) await chown(socketPath, -1, socketGid);
    await chmod(socketPath, SOCKET_MODE);
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await unlink(socketPath).catch(() => undefined);
    throw error;
  }
  server.on('error', (error) => logger.error({ err: error }, 'API server error'));
  logger.info({ socket: socketPath, mode: SOCKET_MODE.toString(8), gid: socketGid ?? null, maxConnections }, 'API listening');

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // No new connections from here; idle keep-alive ones go now, the ones with a request get its answer first.
        server.closeIdleConnections();
        if (inFlight > 0) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            new Promise<void>((resolve) => (drained = resolve)),
            new Promise<void>((resolve) => (timer = setTimeout(resolve, IN_FLIGHT_GRACE_MS))),
          ]);
          clearTimeout(timer);
        }
        server.closeAllConnections();
        await closed;
        await unlink(socketPath).catch((error: unknown) => {
          if (errnoCode(error) !== 'ENOENT') logger.warn({ err: error, socket: socketPath }, 'could not remove the API socket');
        });
        logger.info({ socket: socketPath }, 'API closed');
      })();
      return closing;
    },
  };
}
