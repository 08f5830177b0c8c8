// Bundles each plugin into one executable file under dist/plugins/: a
// shebang, mode 755, everything inlined, so it runs with only `node` on PATH
// wherever it is copied (e.g. /etc/snoozebot/plugins). And the CLI with the
// daemon into one more, dist/snoozebot, in chunks (see bundleCli below).
//
// Start time is most of a plugin's cost to its host, and V8 parses the whole
// file at start, so two things are kept out of the parsed code:
// - grpc-js's proto-loader (and protobufjs under it): grpc-js only loads it for
//   channelz and ORCA, which plugins never use; it is replaced by a stub.
// - the AutoMTLS certificate code (an ASN.1 stack about as large as grpc-js):
//   it is bundled separately and embedded as a string, compiled only when a
//   host asks for mTLS.
// And the plugin's code is itself embedded as a string in a small loader
// (src/loader) that compiles it with a V8 code cache, so later starts skip
// most of the compiling.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BuildOptions, Plugin } from 'esbuild';
import { sourceDigest } from '../src/loader/digest.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const PLUGINS = ['local', 'aws', 'gcp', 'azure'] as const;

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // The plugin's own code is CommonJS, run by the loader with a require of its
  // own; the loader around it has neither require nor import, so the file runs
  // whether Node takes it for CommonJS or for an ES module.
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
};

const stubProtoLoader: Plugin = {
  name: 'stub-proto-loader',
  setup(b) {
    b.onResolve({ filter: /^@grpc\/proto-loader$/ }, () => ({ path: 'proto-loader', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'exports.loadSync = () => { throw new Error("@grpc/proto-loader is not bundled in snoozebot plugins"); };',
      loader: 'js',
    }));
  },
};

async function certificateChunk(): Promise<string> {
  const result = await build({
    ...common,
    entryPoints: [join(root, 'src/wire/certificate.ts')],
    write: false,
    outfile: 'certificate.js',
  });
  const file = result.outputFiles?.[0];
  if (file === undefined) throw new Error('esbuild produced no certificate chunk');
  return file.text;
}

function lazyCertificate(source: string): Plugin {
  return {
    name: 'lazy-certificate',
    setup(b) {
      b.onResolve({ filter: /\/wire\/certificate\.js$/ }, () => ({ path: 'certificate', namespace: 'lazy' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
        contents: [
          'const { compileFunction } = require("node:vm");',
          `const source = ${JSON.stringify(source)};`,
          'const module_ = { exports: {} };',
          'compileFunction(source, ["module", "exports", "require"], { filename: "snoozebot-certificate.js" })(module_, module_.exports, require);',
          'module.exports = module_.exports;',
        ].join('\n'),
        loader: 'js',
      }));
    },
  };
}

/**
 * The CLI's chunks (src/loader/cli-main.ts): `cli` runs for every command;
 * each other one is the module a single command imports when it runs, and is
 * compiled only then. `write` is when a missing code cache is written: at exit
 * for short-lived commands, after a while for the daemon (by then it has
 * compiled what its work needs). `fixedYoungGeneration`: the process that
 * loads the chunk runs for long and allocates little (src/loader/young-generation.ts).
 */
const CLI_CHUNKS = {
  cli: { entry: 'src/cli/main.ts', write: 'exit' },
  daemon: { entry: 'src/cli/commands/daemon-run.ts', write: { delayMs: 10_000 }, fixedYoungGeneration: true },
  check: { entry: 'src/cli/commands/plugins-check-run.ts', write: 'exit' },
  certificate: { entry: 'src/wire/certificate.ts', write: 'exit' },
} as const;

type CliChunkName = keyof typeof CLI_CHUNKS;

/** `import('…/daemon-run.js')` and the like become `__snoozebot_chunk('daemon')` (the loader's). */
function splitChunks(own: CliChunkName): Plugin {
  const byFile = new Map(Object.entries(CLI_CHUNKS).map(([name, chunk]) => [chunk.entry.replace(/^.*\//, '').replace(/\.ts$/, '.js'), name]));
  return {
    name: 'split-chunks',
    setup(b) {
      b.onResolve({ filter: /\.js$/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        const name = byFile.get(args.path.replace(/^.*\//, ''));
        if (name === undefined || name === own) return undefined;
        return { path: name, namespace: 'chunk' };
      });
      b.onLoad({ filter: /.*/, namespace: 'chunk' }, (args) => ({
        contents: `module.exports = __snoozebot_chunk(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  };
}

/**
 * yargs asserts with node:assert, whose first failure costs tens of
 * milliseconds (it loads the assertion machinery and colours for a message
 * nobody sees): and one fails at every start where no package.json is above
 * the bundle or the working directory, as under /usr/lib/snoozebot (yargs looks
 * for one to guess a version, catches the failure and moves on). yargs gets
 * the same two assertions, throwing a plain Error.
 */
const yargsAssert: Plugin = {
  name: 'yargs-assert',
  setup(b) {
    b.onResolve({ filter: /^(node:)?assert$/ }, (args) =>
      /[\\/]node_modules[\\/]yargs[\\/]/.test(args.importer) ? { path: 'assert', namespace: 'yargs-assert' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'yargs-assert' }, () => ({
      contents: [
        'const fail = (message) => { throw new Error(message === undefined ? "assertion failed" : String(message)); };',
        'exports.notStrictEqual = (actual, expected, message) => { if (Object.is(actual, expected)) fail(message); };',
        'exports.strictEqual = (actual, expected, message) => { if (!Object.is(actual, expected)) fail(message); };',
      ].join('\n'),
      loader: 'js',
    }));
  },
};

/**
 * string-width (yargs, cliui and wrap-ansi measure every line of `--help`
 * with it) builds an Intl.Segmenter and Unicode-property regular expressions
 * when it loads: about a third of a CLI start, and megabytes, for help text
 * that is plain ASCII. Every import of it gets the same answer through a
 * front that measures printable ASCII itself (one column a character, as
 * string-width does) and loads the real string-width for anything else.
 */
const asciiStringWidth: Plugin = {
  name: 'ascii-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, (args) =>
      args.namespace === 'ascii-string-width' ? undefined : { path: args.resolveDir, namespace: 'ascii-string-width' },
    );
    b.onLoad({ filter: /.*/, namespace: 'ascii-string-width' }, (args) => ({
      contents: [
        'const PRINTABLE_ASCII = /^[\\x20-\\x7e]*$/;',
        'let real;',
        'module.exports = function stringWidth(text, options) {',
        '  if (typeof text === "string" && PRINTABLE_ASCII.test(text)) return text.length;',
        '  real ??= require("string-width");',
        '  return (real.default ?? real)(text, options);',
        '};',
      ].join('\n'),
      resolveDir: args.path,
      loader: 'js',
    }));
  },
};

/**
 * Two file-system lookups yargs makes at every start, for nothing in the bundle:
 * - it guesses a version from the nearest package.json above the working
 *   directory (in the bundle it has no node_modules path to start from), so
 *   `snoozebot status` typed in /etc lists /etc and /, and reads any project's
 *   package.json it stands in. We give yargs our version, so escalade, which
 *   it walks with, finds nothing here.
 * - y18n looks for a locale file ($LANG.json) in a directory the bundle has
 *   not got, failing with ENOENT each time. Its platform shim without
 *   readFileSync is y18n's own way for bundles: the built-in English strings.
 */
const noFileLookups: Plugin = {
  name: 'no-file-lookups',
  setup(b) {
    const from = (pkg: string, importer: string) => new RegExp(`[\\\\/]node_modules[\\\\/]${pkg}[\\\\/]`).test(importer);
    b.onResolve({ filter: /^escalade\/sync$/ }, (args) =>
      from('yargs', args.importer) ? { path: 'escalade', namespace: 'no-file-lookups' } : undefined,
    );
    b.onResolve({ filter: /platform-shims\/node\.js$/ }, (args) =>
      from('y18n', args.importer) ? { path: 'y18n-shim', namespace: 'no-file-lookups' } : undefined,
    );
    b.onLoad({ filter: /^escalade$/, namespace: 'no-file-lookups' }, () => ({
      contents: 'export default () => undefined;',
      loader: 'js',
    }));
    b.onLoad({ filter: /^y18n-shim$/, namespace: 'no-file-lookups' }, () => ({
      contents: [
        'import { format } from "node:util";',
        'import { resolve } from "node:path";',
        'export default { fs: { writeFile: () => {} }, format, resolve, exists: () => false };',
      ].join('\n'),
      loader: 'js',
    }));
  },
};

/**
 * Once a command's handler has started, yargs lays out that command's whole
 * `--help` text and keeps it, in case the handler fails and yargs is to print
 * help with the error (showHelpOnFail) or someone calls showHelp() later.
 * snoozebot does neither (main.ts's .fail() prints one line), and the layout
 * (cliui measuring and wrapping every row) cost `plugins list` about 5 ms. The
 * line that keeps it goes; the build stops if a yargs upgrade moves it.
 */
const CACHE_HELP = 'cachedHelpMessage = this.help();';
const yargsNoHelpCache: Plugin = {
  name: 'yargs-no-help-cache',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]yargs[\\/]build[\\/]lib[\\/]usage\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (source.split(CACHE_HELP).length !== 2) throw new Error(`${args.path}: expected "${CACHE_HELP}" once; see yargsNoHelpCache in scripts/bundle.ts`);
      return { contents: source.replace(CACHE_HELP, '/* not kept: scripts/bundle.ts, yargsNoHelpCache */'), loader: 'js' };
    });
  },
};

/**
 * yargs finds its own directory with import.meta.url, which CommonJS output
 * has not: it gets the bundle's URL instead (yargs looks for its locale files
 * there, finds none and speaks English).
 */
const importMetaUrl: BuildOptions = {
  define: { 'import.meta.url': '__snoozebot_import_meta_url' },
  banner: { js: 'var __snoozebot_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
};

async function cliChunk(name: CliChunkName): Promise<string> {
  const result = await build({
    ...common,
    ...importMetaUrl,
    entryPoints: [join(root, CLI_CHUNKS[name].entry)],
    write: false,
    outfile: `${name}.js`,
    // jsonc-parser's "main" is a UMD build whose requires esbuild cannot follow; its "module" is plain ESM.
    mainFields: ['module', 'main'],
    plugins: [stubProtoLoader, yargsAssert, yargsNoHelpCache, asciiStringWidth, noFileLookups, splitChunks(name)],
  });
  const source = result.outputFiles?.[0]?.text;
  if (source === undefined) throw new Error(`esbuild produced no CLI chunk ${name}`);
  return source;
}

/**
 * dist/snoozebot: the CLI and the daemon as one executable entry, like the
 * plugins (a shebang, a V8 code cache), and their code in chunks under
 * dist/chunks/ (src/loader/cli-main.ts says why), so that `snoozebot status`
 * compiles the CLI's code only and the daemon's grpc-js, zod and pino are
 * read and compiled only by `snoozebot daemon`.
 */
export async function bundleCli(): Promise<string> {
  const chunks: Record<string, { file: string; digest: string; write: unknown; fixedYoungGeneration?: true }> = {};
  await mkdir(join(root, 'dist/chunks'), { recursive: true });
  for (const name of Object.keys(CLI_CHUNKS) as CliChunkName[]) {
    const source = await cliChunk(name);
    // The loader reads chunks as Latin-1, one byte a character: esbuild writes ASCII only (its default charset).
    if (!/^[\x00-\x7f]*$/.test(source)) throw new Error(`CLI chunk ${name} is not ASCII`);
    const file = `chunks/${name}.js`;
    await writeFile(join(root, 'dist', file), source, { mode: 0o644 });
    const chunk = CLI_CHUNKS[name];
    const fixed = 'fixedYoungGeneration' in chunk ? { fixedYoungGeneration: true as const } : {};
    chunks[name] = { file, digest: sourceDigest(source), write: chunk.write, ...fixed };
  }
  return executableEntry('src/loader/cli-main.ts', join(root, 'dist/snoozebot'), {
    __SNOOZEBOT_CHUNKS__: JSON.stringify(chunks),
    __SNOOZEBOT_MAIN_CHUNK__: JSON.stringify('cli'),
  });
}

/** A loader (src/loader) as an executable file: a shebang, the constants the bundle script gives it, mode 755. */
async function executableEntry(entry: string, outfile: string, define: Record<string, string>): Promise<string> {
  await build({ ...common, format: 'esm', entryPoints: [join(root, entry)], outfile, banner: { js: '#!/usr/bin/env node' }, define });
  await chmod(outfile, 0o755);
  return outfile;
}

export async function bundlePlugin(name: string, certificateSource: string): Promise<string> {
  const payload = await build({
    ...common,
    entryPoints: [join(root, 'plugins', name, 'main.ts')],
    write: false,
    outfile: `${name}.js`,
    plugins: [stubProtoLoader, lazyCertificate(certificateSource)],
  });
  const source = payload.outputFiles?.[0]?.text;
  if (source === undefined) throw new Error(`esbuild produced no bundle for plugin ${name}`);
  return executableEntry('src/loader/plugin-main.ts', join(root, 'dist/plugins', name), {
    __SNOOZEBOT_PLUGIN_NAME__: JSON.stringify(name),
    __SNOOZEBOT_PLUGIN_SOURCE__: JSON.stringify(source),
    __SNOOZEBOT_PLUGIN_DIGEST__: JSON.stringify(sourceDigest(source)),
  });
}

/**
 * The bundles under dist/ are CommonJS scripts, as they are once installed
 * (/usr/lib/snoozebot has no package.json): below this repository's
 * package.json ("type": "module") Node would start them through its ES module
 * loader, a tenth of a CLI start for nothing. tsc's output under dist/js stays
 * ES modules.
 */
async function writeModuleScopes(): Promise<void> {
  await writeFile(join(root, 'dist/package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`, { mode: 0o644 });
  await writeFile(join(root, 'dist/js/package.json'), `${JSON.stringify({ type: 'module' })}\n`, { mode: 0o644 });
}

async function main(): Promise<void> {
  await mkdir(join(root, 'dist/plugins'), { recursive: true });
  await writeModuleScopes();
  const certificateSource = await certificateChunk();
  for (const name of PLUGINS) await bundlePlugin(name, certificateSource);
  await bundleCli();
}

await main();
