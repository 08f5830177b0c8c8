// The entry of the bundled CLI and daemon, dist/snoozebot (an esbuild entry
// only). The CLI is split in chunks (scripts/bundle.ts): `cli`, its own code
// (yargs, the API client, the formatting: all that `status` or `--help`
// needs), and the code only one command needs (`daemon`, `plugins check`).
// Each chunk is a CommonJS bundle in a file of its own under chunks/ beside
// this one, read and compiled, with its own V8 code cache, only when
// something asks for it: a command that does not start the daemon never reads
// the daemon's code, let alone compiles grpc-js or zod.
//
// Why files and not strings inside this one, as the plugins have it: Node
// reads and scans the whole of the file it runs, and keeps its text for the
// life of the process. With the daemon's 2 MB inside, every `snoozebot status`
// paid about a fifth of a `node -e 0` to skip over it, and the daemon kept
// three copies of its own code (bench rows t1–t6, docs/benchmarks.md).
//
// The CLI chunk asks for another chunk through `__snoozebot_chunk(name)` (the
// bundle script turns `import('./daemon-run.js')` into that call).
import { loadWithCodeCache } from './code-cache.js';
import type { CacheWrite } from './code-cache.js';
import { fixYoungGeneration } from './young-generation.js';

interface ChunkFile {
  /** Path relative to this file's real directory. */
  readonly file: string;
  /** Digest of the file's text, for the code cache's name. */
  readonly digest: string;
  readonly write: CacheWrite;
  /** Loading it fixes the process's young generation at its initial size (young-generation.ts). */
  readonly fixedYoungGeneration?: true;
}

declare const __SNOOZEBOT_CHUNKS__: Readonly<Record<string, ChunkFile>>;
declare const __SNOOZEBOT_MAIN_CHUNK__: string;

const { readFileSync, realpathSync } = process.getBuiltinModule('node:fs');
const { dirname, join } = process.getBuiltinModule('node:path');

// This file itself when Node runs it as CommonJS; as an ES module (below a
// package.json that says "module"), the script Node was asked to run. Its
// real path: /usr/bin/snoozebot is a link to /usr/lib/snoozebot/snoozebot.
// The native realpath: one call into libc, where the JS one lstat()s every component of the path.
const self = realpathSync.native(typeof __filename === 'string' ? __filename : (process.argv[1] ?? 'snoozebot'));
const loaded = new Map<string, unknown>();

function compileChunk(name: string): unknown {
  const chunk = __SNOOZEBOT_CHUNKS__[name];
  if (chunk === undefined) throw new Error(`snoozebot bundle: no chunk named ${name}`);
  const filename = join(dirname(self), chunk.file);
  const source = readFileSync(filename, 'latin1');
  if (chunk.fixedYoungGeneration === true) fixYoungGeneration();
  return loadWithCodeCache(`snoozebot.${name}`, { source, digest: chunk.digest }, { filename, write: chunk.write, loadChunk });
}

function loadChunk(name: string): unknown {
  if (!loaded.has(name)) loaded.set(name, compileChunk(name));
  return loaded.get(name);
}

// The main chunk is not kept: once its command has run, nothing needs it, and
// in the daemon, which runs for months, yargs and the CLI's code can then be
// collected.
compileChunk(__SNOOZEBOT_MAIN_CHUNK__);
