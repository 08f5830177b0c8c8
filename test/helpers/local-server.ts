// Starting and closing the local stand-ins of cloud services (metadata
// servers, cloud APIs): 127.0.0.1 on a free port, every connection closed on
// the way out so a test leaves no socket behind.
import type { Server } from 'node:net';

/** Listens on 127.0.0.1 on a port the system picks; returns the port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  return address.port;
}

/** Closes `server` and every connection still open on it. */
export async function closeServer(server: Server & { closeAllConnections(): void }): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
