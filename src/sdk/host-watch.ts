// Notices that the host is gone, so a plugin never outlives it.
//
// Our host keeps a pipe on the plugin's stdin and never writes to it: end of
// file means the host closed it or died. go-plugin hosts instead pass their
// own stdin through (often /dev/null or a terminal), where EOF says nothing
// about the host; so EOF only counts when stdin is a pipe or socket, and the
// parent pid is watched as well: when the host dies we are re-parented.
import { fstatSync } from 'node:fs';

let launchParent: number | undefined;

/**
 * Records the pid of the process that started us, as early as possible: if
 * the host dies between our handshake and the watch starting, the parent
 * read then would already be the reaper's, and the death would go unseen.
 */
export function rememberParent(): number {
  launchParent ??= process.ppid;
  return launchParent;
}

export interface HostWatchOptions {
  readonly onGone: (reason: string) => void;
  /** How often the parent pid is checked; the timer never keeps the process alive. */
  readonly pollMs?: number;
  readonly stdin?: NodeJS.ReadStream;
  readonly getPpid?: () => number;
  /** The parent to watch for; defaults to the one rememberParent() saw. */
  readonly parent?: number;
}

function stdinIsPipe(): boolean {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}

export function watchHost(options: HostWatchOptions): () => void {
  const getPpid = options.getPpid ?? (() => process.ppid);
  const parent = options.parent ?? rememberParent();
  let stopped = false;
  const gone = (reason: string) => {
    if (stopped) return;
    stop();
    options.onGone(reason);
  };
  const check = () => {
    if (getPpid() !== parent) gone(`host process ${parent} exited`);
  };
  const timer = setInterval(check, options.pollMs ?? 1000);
  timer.unref();
  queueMicrotask(check);

  const stdin = options.stdin ?? (stdinIsPipe() ? process.stdin : undefined);
  const onEnd = () => gone('host closed stdin');
  if (stdin !== undefined) {
    stdin.on('end', onEnd);
    stdin.on('error', onEnd);
    stdin.on('data', () => {
      // The host never sends anything; reading only keeps the pipe drained.
    });
    stdin.resume();
    // A paused stdin would keep the event loop alive only through our listener.
    (stdin as NodeJS.ReadStream & { unref?: () => void }).unref?.();
  }

  function stop() {
    stopped = true;
    clearInterval(timer);
    if (stdin !== undefined) {
      stdin.off('end', onEnd);
      stdin.off('error', onEnd);
      stdin.pause();
    }
  }
  return stop;
}
