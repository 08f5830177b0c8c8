// Runs a bundled plugin's code with a V8 code cache.
//
// A plugin is started often (every load, every restart) and most of its start
// is V8 compiling the bundle. V8 can serialize the compiled code; on the next
// start it checks the cache against the exact source and its own version and
// flags, and skips compiling. Node 22 does this itself (module.enableCompileCache);
// Node 20 does not, so plugin bundles carry this small loader.
//
// The cache lives in a private per-user directory. Anything odd (a directory
// owned by someone else or writable by others, a rejected or unreadable cache)
// means compiling as usual: the cache can make a start faster, never break it.
//
// The loader must run whether Node reads the plugin file as CommonJS or as an
// ES module (an extension-less file is ESM below a package.json that says
// "module"), so it has neither `require` nor `import`: Node's built-ins come
// from process.getBuiltinModule, and the bundle gets a require of its own.
import { withDefaultFlags } from './young-generation.js';

const { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } = process.getBuiltinModule('node:fs');
const { createRequire } = process.getBuiltinModule('node:module');
const { homedir, tmpdir } = process.getBuiltinModule('node:os');
const { basename, dirname, join } = process.getBuiltinModule('node:path');
const { constants: vmConstants, Script } = process.getBuiltinModule('node:vm');

export interface CacheDirEnv {
  readonly SNOOZEBOT_CACHE_DIR?: string | undefined;
  readonly XDG_CACHE_HOME?: string | undefined;
  readonly HOME?: string | undefined;
}

/** Where the cache goes: $SNOOZEBOT_CACHE_DIR, else the XDG cache dir, else a per-user temp dir. */
export function cacheDirFor(env: CacheDirEnv, uid: number): string {
  if (env.SNOOZEBOT_CACHE_DIR) return env.SNOOZEBOT_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'snoozebot');
  const home = env.HOME || safeHomedir();
  return home ? join(home, '.cache', 'snoozebot') : join(tmpdir(), `snoozebot-${uid}`);
}

function safeHomedir(): string | undefined {
  try {
    return homedir();
  } catch {
    return undefined;
  }
}

/** A cache directory is trusted only if it is ours and nobody else can write to it. */
export function isPrivateDir(mode: number, ownerUid: number, uid: number): boolean {
  return ownerUid === uid && (mode & 0o022) === 0;
}

export function cacheFileName(name: string, digest: string, nodeVersion: string, arch: string): string {
  return `${name}-${digest}-${nodeVersion}-${arch}.v8cache`;
}

/**
 * Whether `file` is a cache of the code named `name` (any build, Node or
 * arch): `name-HEX-vX.Y.Z-ARCH.v8cache`. A plain prefix would also match the
 * caches of another plugin whose name starts with this one's ("aws" and
 * "aws-eu"), and the two would delete each other's at every start.
 */
export function isCacheOf(file: string, name: string): boolean {
  if (!file.startsWith(`${name}-`)) return false;
  return /^[0-9a-f]+-v\d+\.\d+\.\d+-[A-Za-z0-9_]+\.v8cache$/.test(file.slice(name.length + 1));
}

function privateCacheDir(dir: string, uid: number): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const info = statSync(dir);
    return info.isDirectory() && isPrivateDir(info.mode, info.uid, uid);
  } catch {
    return false;
  }
}

/** A chunk's code: its bundled CommonJS source and that source's digest (computed at build time). */
export interface Chunk {
  readonly source: string;
  readonly digest: string;
}

/**
 * When to write a missing or rejected cache: `delayMs` after the code first
 * ran (a long-lived process: by then it has compiled the functions its work
 * needs, so the cache saves more than one made at once), or `'exit'` (a
 * short-lived one, such as a CLI command, which may exit before any timer).
 */
export type CacheWrite = { readonly delayMs: number } | 'exit';

export interface LoadOptions {
  /** The file the code came from: stack traces name it, its require resolves from it. */
  readonly filename: string;
  readonly write: CacheWrite;
  /** Given to the code as `__snoozebot_chunk`: how it loads the bundle's other chunks. */
  readonly loadChunk?: (name: string) => unknown;
}

type CommonJsWrapper = (
  require: NodeJS.Require,
  module: { exports: unknown },
  exports: unknown,
  filename: string,
  dirname: string,
  loadChunk: ((name: string) => unknown) | undefined,
) => void;

/**
 * Compiles and runs `chunk` (a CommonJS bundle) using and refreshing a code
 * cache named after `name`; returns its module.exports.
 */
export function loadWithCodeCache(name: string, chunk: Chunk, options: LoadOptions): unknown {
  const uid = process.getuid?.() ?? -1;
  const disabled = process.env.SNOOZEBOT_CODE_CACHE === 'off';
  const dir = cacheDirFor(process.env, uid);
  const file = join(dir, cacheFileName(name, chunk.digest, process.version, process.arch));
  let cachedData: Buffer | undefined;
  if (!disabled && privateCacheDir(dir, uid)) {
    try {
      cachedData = readFileSync(file);
    } catch {
      cachedData = undefined;
    }
  }
  const wrapped = `(function (require, module, exports, __filename, __dirname, __snoozebot_chunk) {${chunk.source}\n})`;
  const script = withDefaultFlags(
    () =>
      new Script(wrapped, {
        filename: options.filename,
        // A bundle keeps `import('node:…')` of built-ins as it is; without this, vm code has no loader to run it with.
        importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
        ...(cachedData === undefined ? {} : { cachedData }),
      }),
  );
  const run = script.runInThisContext() as CommonJsWrapper;
  if (!disabled && (cachedData === undefined || script.cachedDataRejected === true)) {
    const write = () => writeCache(dir, uid, file, name, () => withDefaultFlags(() => script.createCachedData()));
    if (options.write === 'exit') process.once('exit', write);
    else setTimeout(write, options.write.delayMs).unref();
  }
  const module = { exports: {} };
  run(createRequire(options.filename), module, module.exports, options.filename, dirname(options.filename), options.loadChunk);
  return module.exports;
}

function writeCache(dir: string, uid: number, file: string, name: string, data: () => Buffer): void {
  if (!privateCacheDir(dir, uid)) return;
  try {
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, data(), { mode: 0o600 });
    renameSync(temp, file);
    // Caches of earlier builds of this code will never match again.
    const current = basename(file);
    for (const old of readdirSync(dir)) {
      if (isCacheOf(old, name) && old !== current) rmSync(join(dir, old), { force: true });
    }
  } catch {
    // Read-only or full disk: the next start compiles again, nothing worse.
  }
}

/**
 * Compiles and runs `source` (a CommonJS bundle) as if it were the main
 * module, using and refreshing a code cache. `writeDelayMs` puts the cache
 * write after the plugin's start, where it cannot slow the handshake.
 */
export function runWithCodeCache(name: string, source: string, digest: string, filename: string, writeDelayMs = 200): void {
  loadWithCodeCache(name, { source, digest }, { filename, write: { delayMs: writeDelayMs } });
}
