// Builds the Go interop binaries (test/interop/go: host, plugin, guideplugin,
// legacyplugin, otherapp) on demand.
//
// The Go side is compiled in GOPATH mode against Debian's packaged Go sources
// (/usr/share/gocode: go-plugin 1.0.1, grpc 1.33, golang/protobuf 1.3). The
// CloudProvider stubs are generated at build time into a temporary GOPATH with
// a protoc-gen-go that is itself compiled from the packaged golang/protobuf
// sources, so no generated Go code is ever committed.
//
// The stand-ins for the Go snoozebot's plugin glue (test/interop/go/gosnoozebot
// and gosnoozebot-legacy, packages snoozebot/interop/…/pkg/plugin) are copied
// into the temporary GOPATH, and the legacy fixture's stubs are generated from
// its own old-layout proto the same way.
//
// Results are cached in <repo>/.cache/go-interop/<hash>/<binary>, where <hash>
// covers every .go source, every .proto file, the Go version and this build
// recipe. Builds happen in a private temp dir that is renamed into
// place, so concurrent test processes are safe.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Paths of the built binaries. */
export interface GoBinaries {
  /** gohost: go-plugin's host. */
  readonly host: string;
  /** goplugin: a CloudProvider plugin on go-plugin's own Serve (our proto, API "1"). */
  readonly plugin: string;
  /** goguide: built like the Go snoozebot guide's plugins (no GetAPIVersion, API 0.1.0). */
  readonly guide: string;
  /** golegacy: the Go snoozebot's first glue (flat GetInstanceInfoResponse, no ListInstances). */
  readonly legacy: string;
  /** gootherapp: a go-plugin plugin of another application (cookie BASIC_PLUGIN=hello). */
  readonly otherApp: string;
}

export type GoBuild = ({ ok: true } & GoBinaries) | { ok: false; reason: string };

/** Binary name → Go package (relative to the repository) → its key in GoBinaries. */
const BINARIES = [
  ['gohost', './test/interop/go/host', 'host'],
  ['goplugin', './test/interop/go/plugin', 'plugin'],
  ['goguide', './test/interop/go/guideplugin', 'guide'],
  ['golegacy', './test/interop/go/legacyplugin', 'legacy'],
  ['gootherapp', './test/interop/go/otherapp', 'otherApp'],
] as const;

/** Packages copied into the temporary GOPATH under snoozebot/interop/. */
const GLUE_DIRS = ['gosnoozebot', 'gosnoozebot-legacy'] as const;
const LEGACY_PROTO = 'test/interop/go/gosnoozebot-legacy/pkg/plugin/cloud_provider_legacy.proto';

/** Debian (bookworm) packages the Go interop build needs. */
export const GO_DEBIAN_PACKAGES = [
  'golang-go',
  'golang-github-hashicorp-go-plugin-dev',
  'golang-google-grpc-dev',
  'golang-github-golang-protobuf-1-3-dev',
  'protobuf-compiler',
  'libprotobuf-dev', // google/protobuf/timestamp.proto in /usr/include
] as const;

/** Bump when the build steps below change, to invalidate cached binaries. */
const RECIPE = 'go-interop-recipe-3';
const SYSTEM_GOPATH = '/usr/share/gocode';
const GO_PLUGIN_SRC = path.join(SYSTEM_GOPATH, 'src/github.com/hashicorp/go-plugin');
const PROTOC_GEN_GO_PKG = 'github.com/golang/protobuf/protoc-gen-go';
const TIMESTAMP_GO_PKG = 'github.com/golang/protobuf/ptypes/timestamp';
const TIMESTAMP_PROTO = '/usr/include/google/protobuf/timestamp.proto';
const EXEC_TIMEOUT_MS = 5 * 60 * 1000;
const STALE_TMP_MS = 60 * 60 * 1000;

const INSTALL_HINT = `install the Debian packages: apt-get install -y ${GO_DEBIAN_PACKAGES.join(' ')}`;

async function exists(p: string, mode: number = constants.F_OK): Promise<boolean> {
  try {
    await access(p, mode);
    return true;
  } catch {
    return false;
  }
}

/** Walks up from this module to the directory holding package.json and the Go sources. */
async function findRepoRoot(): Promise<string> {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (
      (await exists(path.join(dir, 'package.json'))) &&
      (await exists(path.join(dir, 'test/interop/go/host/main.go')))
    ) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot locate the snoozebot repo root above ${fileURLToPath(import.meta.url)}`);
    }
    dir = parent;
  }
}

async function listFiles(dir: string, suffix: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p, suffix)));
    else if (e.isFile() && e.name.endsWith(suffix)) out.push(p);
  }
  return out;
}

function isErrnoException(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && 'code' in e;
}

function outputOf(e: unknown): string {
  if (typeof e !== 'object' || e === null) return String(e);
  const parts: string[] = [];
  for (const key of ['stdout', 'stderr'] as const) {
    const v: unknown = (e as Record<string, unknown>)[key];
    if (typeof v === 'string' && v.trim() !== '') parts.push(v.trim());
    else if (Buffer.isBuffer(v) && v.length > 0) parts.push(v.toString('utf8').trim());
  }
  if (parts.length === 0 && e instanceof Error) parts.push(e.message);
  return parts.join('\n');
}

async function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, {
      cwd,
      env,
      timeout: EXEC_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
      encoding: 'utf8',
    });
    return stdout;
  } catch (e) {
    throw new Error(`Go interop build step failed: ${cmd} ${args.join(' ')}\n${outputOf(e)}`, { cause: e });
  }
}

/** Returns the `go version` line, or null when go is not on PATH. */
async function goVersion(): Promise<string | null> {
  try {
    const { stdout } = await execFileP('go', ['version'], { encoding: 'utf8', timeout: 60_000 });
    return stdout.trim();
  } catch (e) {
    if (isErrnoException(e) && e.code === 'ENOENT') return null;
    throw new Error(`\`go version\` failed: ${outputOf(e)}`, { cause: e });
  }
}

async function protocAvailable(): Promise<boolean> {
  try {
    await execFileP('protoc', ['--version'], { encoding: 'utf8', timeout: 60_000 });
    return true;
  } catch (e) {
    if (isErrnoException(e) && e.code === 'ENOENT') return false;
    throw new Error(`\`protoc --version\` failed: ${outputOf(e)}`, { cause: e });
  }
}

async function sourceHash(root: string, version: string): Promise<string> {
  const files = [
    ...(await listFiles(path.join(root, 'test/interop/go'), '.go')),
    ...(await listFiles(path.join(root, 'test/interop/go'), '.proto')),
    ...(await listFiles(path.join(root, 'proto'), '.proto')),
  ]
    .map((f) => path.relative(root, f).split(path.sep).join('/'))
    .sort();
  const h = createHash('sha256');
  h.update(`${RECIPE}\0${version}\0`);
  for (const rel of files) {
    h.update(`${rel}\0`);
    h.update(await readFile(path.join(root, rel)));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** Removes temp dirs left behind by crashed builds (best effort). */
async function sweepStaleTemps(cacheRoot: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(cacheRoot);
  } catch {
    return;
  }
  const now = Date.now();
  await Promise.all(
    names
      .filter((n) => n.includes('.tmp-'))
      .map(async (n) => {
        const p = path.join(cacheRoot, n);
        try {
          if (now - (await stat(p)).mtimeMs > STALE_TMP_MS) await rm(p, { recursive: true, force: true });
        } catch {
          // another process may be removing it
        }
      }),
  );
}

async function builtIn(dir: string): Promise<GoBinaries | null> {
  const found: Record<string, string> = {};
  for (const [name, , key] of BINARIES) {
    const file = path.join(dir, name);
    if (!(await exists(file, constants.X_OK))) return null;
    found[key] = file;
  }
  return found as unknown as GoBinaries;
}

async function compile(root: string, tmp: string, outDir: string): Promise<void> {
  const gopath = path.join(tmp, 'gopath');
  const src = path.join(gopath, 'src');
  const bin = path.join(gopath, 'bin');
  await mkdir(src, { recursive: true });
  await mkdir(bin, { recursive: true });
  await mkdir(outDir, { recursive: true });

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH: `${gopath}${path.delimiter}${SYSTEM_GOPATH}`,
    GOCACHE: path.join(root, '.cache/go-build'),
    GOFLAGS: '',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
  };

  // 1. protoc-gen-go v1.3 (with the built-in grpc generator) from Debian's sources.
  const protocGenGo = path.join(bin, 'protoc-gen-go');
  await run('go', ['build', '-o', protocGenGo, PROTOC_GEN_GO_PKG], root, env);

  // 2. CloudProvider messages + gRPC stubs into the temp GOPATH
  //    (go_package "snoozebot/interop/pluginpb").
  await run(
    'protoc',
    [
      '--proto_path=proto',
      '--proto_path=/usr/include',
      `--plugin=protoc-gen-go=${protocGenGo}`,
      `--go_out=plugins=grpc,Mgoogle/protobuf/timestamp.proto=${TIMESTAMP_GO_PKG}:${src}`,
      'proto/plugin/cloud_provider.proto',
    ],
    root,
    env,
  );

  // 3. The legacy fixture's stubs from its own old-layout proto (go_package "snoozebot/interop/legacypb").
  await run(
    'protoc',
    [
      `--proto_path=${path.dirname(LEGACY_PROTO)}`,
      '--proto_path=/usr/include',
      `--plugin=protoc-gen-go=${protocGenGo}`,
      `--go_out=plugins=grpc,Mgoogle/protobuf/timestamp.proto=${TIMESTAMP_GO_PKG}:${src}`,
      path.basename(LEGACY_PROTO),
    ],
    root,
    env,
  );

  // 4. The glue packages the fixtures import, as snoozebot/interop/<dir>/pkg/plugin.
  for (const dir of GLUE_DIRS) {
    await cp(path.join(root, 'test/interop/go', dir), path.join(src, 'snoozebot/interop', dir), {
      recursive: true,
      filter: (from) => !from.endsWith('.proto'),
    });
  }

  // 5. The binaries.
  for (const [name, pkg] of BINARIES) {
    await run('go', ['build', '-buildvcs=false', '-o', path.join(outDir, name), pkg], root, env);
  }
}

/**
 * Builds (or reuses) gohost and goplugin. Returns ok:false only when the Go
 * toolchain / Debian Go sources are absent; a failing build throws.
 */
export async function buildGoInterop(): Promise<GoBuild> {
  const version = await goVersion();
  if (version === null) return { ok: false, reason: `go not found on PATH; ${INSTALL_HINT}` };
  if (!(await exists(path.join(GO_PLUGIN_SRC, 'client.go')))) {
    return { ok: false, reason: `go-plugin sources not found at ${GO_PLUGIN_SRC}; ${INSTALL_HINT}` };
  }
  if (!(await exists(path.join(SYSTEM_GOPATH, 'src', PROTOC_GEN_GO_PKG, 'main.go')))) {
    return {
      ok: false,
      reason: `golang/protobuf v1.3 sources not found under ${SYSTEM_GOPATH}; ${INSTALL_HINT}`,
    };
  }
  if (!(await protocAvailable())) return { ok: false, reason: `protoc not found on PATH; ${INSTALL_HINT}` };
  if (!(await exists(TIMESTAMP_PROTO))) {
    return { ok: false, reason: `${TIMESTAMP_PROTO} not found; ${INSTALL_HINT}` };
  }

  const root = await findRepoRoot();
  const cacheRoot = path.join(root, '.cache/go-interop');
  const hash = await sourceHash(root, version);
  const finalDir = path.join(cacheRoot, hash);

  const cached = await builtIn(finalDir);
  if (cached) return { ok: true, ...cached };

  await mkdir(cacheRoot, { recursive: true });
  await sweepStaleTemps(cacheRoot);
  const tmp = await mkdtemp(path.join(cacheRoot, `${hash}.tmp-`));
  try {
    const outDir = path.join(tmp, 'out');
    await compile(root, tmp, outDir);
    try {
      await rename(outDir, finalDir);
    } catch (e) {
      // Another process finished first: use its (identical) result.
      if (!(isErrnoException(e) && (e.code === 'EEXIST' || e.code === 'ENOTEMPTY'))) throw e;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }

  const built = await builtIn(finalDir);
  if (!built) throw new Error(`Go interop build finished but binaries are missing in ${finalDir}`);
  return { ok: true, ...built };
}
