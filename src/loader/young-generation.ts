// The daemon's young generation, kept at its initial size.
//
// V8 allocates new objects in a young generation (two semi-spaces) and
// doubles it whenever enough objects have survived its collections since the
// last doubling, up to 16 MiB on 64-bit. Any process that works steadily
// gets there: the daemon did within its first 500 API requests, and never
// gave it back. That size buys allocation throughput, which the daemon does
// not need (it answers a request now and then and checks its plugins every
// few seconds), and costs up to 14 MiB of RSS on a 512 MiB VM (bench rows
// t5/t6, docs/benchmarks.md). With the growth factor at 1 the young
// generation stays at its first two 1 MiB semi-spaces; collections come more
// often and each has as little to copy as before.
//
// Node has no per-process setting for it but a command-line flag, and
// `snoozebot` is one file for the CLI and the daemon, run by a shebang or by
// `node` with whatever flags the caller gives. So the daemon sets the flag
// at run time, as soon as its code is loaded. Node warns that flags changed
// after start may do nothing or worse; this one is a number V8 reads each
// time it decides whether to grow, and the test in
// test/integration/cli-bundle.test.ts checks on every Node we support that it
// holds the young generation where it is.
//
// The catch: V8 stamps every code cache with a hash of all its flags and
// rejects a cache made under other flags. The CLI and the daemon share their
// caches (the `cli` chunk runs in both), so caches are read and written with
// the flag at its default (`withDefaultFlags`), and the daemon's flag never
// reaches them.
const FIXED = '--semi-space-growth-factor=1';
const DEFAULT = '--semi-space-growth-factor=2';

/** node:v8, once the daemon has asked for it: a CLI command or a plugin never loads it. */
let v8: typeof import('node:v8') | undefined;

/**
 * Whether the user sized the young generation on Node's command line or in
 * NODE_OPTIONS: then it is theirs, and neither it nor the flag hash is touched.
 */
export function userSizedYoungGeneration(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((arg) => /^--((max|min)[-_])?semi[-_]space/.test(arg));
}

/** Stops the young generation from growing, for the rest of this process. */
export function fixYoungGeneration(): void {
  if (v8 !== undefined || userSizedYoungGeneration(process.execArgv, process.env.NODE_OPTIONS)) return;
  v8 = process.getBuiltinModule('node:v8');
  v8.setFlagsFromString(FIXED);
}

/** Runs `body` (a code cache read or write) with V8's flags as every process has them. */
export function withDefaultFlags<T>(body: () => T): T {
  if (v8 === undefined) return body();
  v8.setFlagsFromString(DEFAULT);
  try {
    return body();
  } finally {
    v8.setFlagsFromString(FIXED);
  }
}
