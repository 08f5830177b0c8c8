// Running a command that talks to the daemon: the global options, one client,
// and every failure turned into a message on stderr and the exit code scripts
// rely on (docs/architecture.md, "CLI contract").
import { DEFAULT_SOCKET_PATH } from '../daemon/api/socket-path.js';
import { ApiClient, ApiProtocolError, ApiRequestError, DaemonUnreachableError } from './api-client.js';
import { EXIT } from './exit-codes.js';

/** Options every command has (declared global in main.ts). */
export interface GlobalArgs {
  socket: string;
  json: boolean;
}

/** The socket the CLI talks to when --socket is not given. */
export function defaultSocket(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.SNOOZEBOT_SOCKET?.trim();
  return fromEnv === undefined || fromEnv === '' ? DEFAULT_SOCKET_PATH : fromEnv;
}

/** The command line was fine for yargs but not for us (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The user said no at a prompt (exit 1, nothing done). */
export class DeclinedError extends Error {
  override readonly name = 'DeclinedError';
}

/** Writes the message for `error` to stderr and returns the exit code. */
export function reportError(error: unknown, write: (text: string) => void = (t) => process.stderr.write(t)): number {
  if (error instanceof DaemonUnreachableError) {
    write(`error: ${error.message}\n  ${error.reason}\n`);
    return EXIT.unreachable;
  }
  if (error instanceof UsageError) {
    write(`error: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof ApiRequestError) {
    const details = Object.entries(error.details).map(([k, v]) => `  ${k}: ${v}\n`);
    write(`error: ${error.message}\n${details.join('')}`);
    return EXIT.failed;
  }
  if (error instanceof DeclinedError || error instanceof ApiProtocolError || error instanceof Error) {
    write(`error: ${error.message}\n`);
    return EXIT.failed;
  }
  write(`error: ${String(error)}\n`);
  return EXIT.failed;
}

/** Runs `body` with a client for --socket; sets process.exitCode (never exits, so output is flushed). */
export async function withDaemon(args: GlobalArgs, body: (client: ApiClient) => Promise<void>): Promise<void> {
  try {
    await body(new ApiClient({ socketPath: args.socket }));
    process.exitCode = EXIT.ok;
  } catch (error) {
    process.exitCode = reportError(error);
  }
}
