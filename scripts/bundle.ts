// Bundles each plugin into one executable file under dist/plugins/: a
// shebang, mode 755, everything inlined, so it runs with only `node` on PATH
// wherever it is copied (e.g. /etc/snoozebot/plugins).
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const PLUGINS = ['local'] as const;

export async function bundlePlugin(name: string): Promise<string> {
  const outfile = join(root, 'dist/plugins', name);
  await build({
    entryPoints: [join(root, 'plugins', name, 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    // CommonJS: a copied plugin has no package.json beside it, and Node reads
    // an extension-less file without one as CommonJS.
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
  await chmod(outfile, 0o755);
  return outfile;
}

async function main(): Promise<void> {
  await mkdir(join(root, 'dist/plugins'), { recursive: true });
  // Inside this checkout the root package.json says "module"; this keeps the
  // bundles CommonJS here too.
  await writeFile(join(root, 'dist/plugins/package.json'), '{ "type": "commonjs" }\n');
  for (const name of PLUGINS) await bundlePlugin(name);
}

await main();
