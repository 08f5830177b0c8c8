// The reference of the daemon's memory rows (issue 16): the floor any daemon
// of this design pays. A Node.js process with grpc-js (a client for a plugin,
// as the daemon holds one per plugin), pino logging JSON to stdout and an
// HTTP server on a unix socket answering the two paths the bench requests,
// loaded the ordinary way, from node_modules.
//
// Usage: node dist/js/bench/reference-daemon.js SOCKET
import { credentials, Client } from '@grpc/grpc-js';
import { createServer } from 'node:http';
import { rmSync } from 'node:fs';
import pino from 'pino';

const socket = process.argv[2];
if (socket === undefined) {
  process.stderr.write('usage: reference-daemon.js SOCKET\n');
  process.exit(2);
}
const logger = pino({ level: 'info', base: { pid: process.pid } }, pino.destination({ dest: 1, sync: false }));
const client = new Client(`unix://${socket}.plugin`, credentials.createInsecure());
const plugins = JSON.stringify({ plugins: [] });
const server = createServer((req, res) => {
  const body = req.url === '/healthz' ? '{"ok":true}' : plugins;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
  logger.debug({ path: req.url }, 'request');
});
rmSync(socket, { force: true });
server.listen(socket, () => logger.info({ socket }, 'listening'));
const stop = () => {
  client.close();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
