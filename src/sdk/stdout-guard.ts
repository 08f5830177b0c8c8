// Keeps fd 1 for the handshake alone.
//
// A go-plugin host reads the plugin's first stdout line as the handshake, so a
// stray console.log from the plugin or one of its libraries before it would
// break the start, and one after it would be mistaken for protocol. From the
// moment the guard is installed, process.stdout.write goes elsewhere (stderr,
// or the GRPCStdio stream when a host listens) and only writeHandshake reaches
// the real stdout.

type Write = typeof process.stdout.write;
export type StdoutSink = (chunk: Uint8Array) => void;

export interface StdoutGuard {
  writeHandshake(line: string): void;
  /** Where later stdout writes go. */
  route(sink: StdoutSink): void;
}

let processGuard: StdoutGuard | undefined;

/** Installs the guard on the process's own stdout once; later calls return the same guard. */
export function guardProcessStdout(): StdoutGuard {
  processGuard ??= guardStdout(process.stdout, process.stderr);
  return processGuard;
}

export function guardStdout(stdout: NodeJS.WriteStream, stderr: NodeJS.WriteStream): StdoutGuard {
  const original: Write = stdout.write.bind(stdout);
  let sink: StdoutSink = (chunk) => stderr.write(chunk);
  const redirected = (chunk: Uint8Array | string, encodingOrCallback?: unknown, callback?: unknown): boolean => {
    const encoding = typeof encodingOrCallback === 'string' ? (encodingOrCallback as BufferEncoding) : 'utf8';
    sink(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as (error?: Error | null) => void)(null));
    return true;
  };
  stdout.write = redirected as Write;
  return {
    writeHandshake(line) {
      original(`${line}\n`);
    },
    route(next) {
      sink = next;
    },
  };
}
