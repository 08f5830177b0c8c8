// Where a plugin may tell the host to connect. The handshake's address is the
// plugin's claim; connecting wherever it points would let a plugin send the
// daemon to another plugin's socket (and have its calls answered by the wrong
// provider) or to any host and port. So an address is accepted only if it is
// something this start offered:
// - unix: a path inside the socket directory the host made for this start
//   (PLUGIN_UNIX_SOCKET_DIR, mode 0700, fresh per start);
// - tcp: a loopback IP address (127.0.0.0/8 or ::1) with a port in the range
//   offered in PLUGIN_MIN_PORT..PLUGIN_MAX_PORT.
// Pure; the host then checks on the file system that the unix path, symlinks
// resolved, is still inside and is a socket.
import { BlockList, isIP } from 'node:net';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Network } from '../handshake/index.js';

export interface OfferedEndpoints {
  /** The socket directory made for this start (its real path). */
  readonly socketDir: string;
  readonly portRange: readonly [number, number];
}

/** True when `path` is `dir` itself or below it (lexically; pass real paths). */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

// Node's BlockList compares parsed addresses, so every spelling of ::1 matches.
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** An IP literal on the loopback interface (names are not resolved: they could point anywhere). */
export function isLoopback(host: string): boolean {
  const family = isIP(host);
  if (family === 0) return false;
  return LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/** host and port of "host:port" or "[v6]:port"; undefined when it is neither. */
export function splitHostPort(address: string): { host: string; port: number } | undefined {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:[\]]+):(\d+)$/.exec(address);
  if (match === null) return undefined;
  const port = Number(match[2]);
  return Number.isSafeInteger(port) ? { host: match[1] ?? '', port } : undefined;
}

/** Why the plugin may not be reached at `address`, as the end of "announced address X…" (it starts with its own separator), or undefined. */
export function addressProblem(network: Network, address: string, offered: OfferedEndpoints): string | undefined {
  if (network === 'unix') {
    if (!isAbsolute(address) || !isInside(offered.socketDir, resolve(address))) {
      return ` outside the socket directory made for this start (${offered.socketDir}); a plugin must listen in PLUGIN_UNIX_SOCKET_DIR`;
    }
    return undefined;
  }
  const [min, max] = offered.portRange;
  const hostPort = splitHostPort(address);
  if (hostPort === undefined) return `, which is not host:port; a plugin on TCP must listen on 127.0.0.1 with a port from ${min} to ${max}`;
  if (!isLoopback(hostPort.host)) {
    return ` outside loopback: ${hostPort.host} is not a loopback IP address; a plugin on TCP must listen on 127.0.0.1 (or ::1)`;
  }
  if (hostPort.port < min || hostPort.port > max) {
    return ` outside the port range offered (${min}-${max}, PLUGIN_MIN_PORT/PLUGIN_MAX_PORT)`;
  }
  return undefined;
}
