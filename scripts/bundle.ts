// Bundles each plugin into one executable file under dist/plugins/: a
// shebang, mode 755, everything inlined, so it runs with only `node` on PATH
// wherever it is copied (e.g. /etc/snoozebot/plugins).
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
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BuildOptions, Plugin } from 'esbuild';
import { sourceDigest } from '../src/loader/code-cache.js';

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
  const outfile = join(root, 'dist/plugins', name);
  await build({
    ...common,
    format: 'esm',
    entryPoints: [join(root, 'src/loader/plugin-main.ts')],
    outfile,
    banner: { js: '#!/usr/bin/env node' },
    define: {
      __SNOOZEBOT_PLUGIN_NAME__: JSON.stringify(name),
      __SNOOZEBOT_PLUGIN_SOURCE__: JSON.stringify(source),
      __SNOOZEBOT_PLUGIN_DIGEST__: JSON.stringify(sourceDigest(source)),
    },
  });
  await chmod(outfile, 0o755);
  return outfile;
}

async function main(): Promise<void> {
  await mkdir(join(root, 'dist/plugins'), { recursive: true });
  const certificateSource = await certificateChunk();
  for (const name of PLUGINS) await bundlePlugin(name, certificateSource);
}

await main();
