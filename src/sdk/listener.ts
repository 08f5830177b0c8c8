// Where the plugin listens. Like go-plugin on Unix, the default is a unix
// socket in a fresh private directory; TCP on 127.0.0.1 within the host's port
// range is there for hosts and containers that cannot share a filesystem.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV } from '../handshake/index.js';
import type { Network } from '../handshake/index.js';

/** Linux's sun_path holds 108 bytes including the terminating NUL. */
const MAX_UNIX_PATH = 107;

export class ListenError extends Error {
  override readonly name = 'ListenError';
  readonly code = 'PLUGIN_LISTEN';
}

export interface UnixPlan {
  readonly network: 'unix';
  readonly dir: string;
  readonly path: string;
}

export interface TcpPlan {
  readonly network: 'tcp';
  readonly ports: readonly number[];
}

export async function planUnixSocket(env: Readonly<Record<string, string | undefined>>): Promise<UnixPlan> {
  const parent = env[ENV.unixSocketDir] || tmpdir();
  // mkdtemp creates the directory with mode 0700: only this user can reach the socket.
  const dir = await mkdtemp(join(parent, 'snoozebot-plugin-')).catch((error: NodeJS.ErrnoException) => {
    throw new ListenError(
      `cannot create the socket directory under ${JSON.stringify(parent)} (${error.code ?? error.message}); ` +
        `set ${ENV.unixSocketDir} to a writable directory`,
    );
  });
  const path = join(dir, 'plugin.sock');
  if (Buffer.byteLength(path) > MAX_UNIX_PATH) {
    await rm(dir, { recursive: true, force: true });
    throw new ListenError(
      `socket path ${JSON.stringify(path)} is longer than ${MAX_UNIX_PATH} bytes; set ${ENV.unixSocketDir} to a shorter directory`,
    );
  }
  return { network: 'unix', dir, path };
}

function port(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
    throw new ListenError(`${name}: saw ${JSON.stringify(value)}, expected a port number 0-65535`);
  }
  return parsed;
}

/** The ports to try in order, from PLUGIN_MIN_PORT..PLUGIN_MAX_PORT; [0] (any free port) when unset. */
export function planTcpPorts(env: Readonly<Record<string, string | undefined>>): TcpPlan {
  const min = port(ENV.minPort, env[ENV.minPort]);
  const max = port(ENV.maxPort, env[ENV.maxPort]);
  if (min === undefined || max === undefined || (min === 0 && max === 0)) return { network: 'tcp', ports: [0] };
  if (min > max) {
    throw new ListenError(`${ENV.minPort} (${min}) is greater than ${ENV.maxPort} (${max}); the host must pass a valid range`);
  }
  const ports: number[] = [];
  for (let p = Math.max(min, 1); p <= max; p += 1) ports.push(p);
  return { network: 'tcp', ports };
}

export function networkFromEnv(value: string | undefined): Network {
  if (value === undefined || value === '' || value === 'unix') return 'unix';
  if (value === 'tcp') return 'tcp';
  throw new ListenError(`SNOOZEBOT_PLUGIN_NETWORK: saw ${JSON.stringify(value)}, expected "unix" or "tcp"`);
}
