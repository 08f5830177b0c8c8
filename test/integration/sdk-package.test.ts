// The SDK as a library (issue 14): a fresh project outside this repository
// installs the packed tarball (npm pack), imports `snoozebot/sdk` with its
// types, bundles a 20-line plugin to one file with the command
// docs/plugin-sdk.md gives plugin authors, and the result loads in
// `snoozebot plugins check` and in go-plugin's own Go host. The same tarball,
// installed with `npm install --global`, runs from any directory.
// Dependencies come from npm's cache (`npm ci` filled it), not the network.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { npmPack } from '../../scripts/package.js';
import { VERSION } from '../../src/version.js';
import { runCli } from '../helpers/daemon.js';
import { goRequired, runGoHost } from '../helpers/go.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { buildGoInterop } from '../interop/go-build.js';

const run = promisify(execFile);

/** The bundler command of docs/plugin-sdk.md, as arguments (the test checks the docs say exactly this). */
export const PLUGIN_BUNDLE_ARGS = [
  'plugin.ts',
  '--bundle',
  '--platform=node',
  '--target=node20',
  '--format=cjs',
  '--minify',
  '--banner:js=#!/usr/bin/env node',
  '--outfile=build/fresh',
] as const;

function shellWord(arg: string): string {
  return /^[\w./=:@-]+$/.test(arg) ? arg : `'${arg}'`;
}

const PLUGIN = `import { exitUnlessLaunchedByHost, serve } from 'snoozebot/sdk';
import type { CloudProvider, InstanceDetails } from 'snoozebot/sdk';

exitUnlessLaunchedByHost();

let state = 'running';
const instance = (): InstanceDetails => ({ id: 'i-fresh', name: 'fresh-project', type: 'tiny', region: 'test', zone: 'test-a', state });

const provider: CloudProvider = {
  name: 'fresh',
  version: '0.0.1',
  getInstanceInfo: async () => instance(),
  listInstances: async () => [instance()],
  stopInstance: async () => {
    state = 'stopped';
  },
  startInstance: async () => {
    state = 'running';
  },
};

void serve(provider);
`;

test('docs/plugin-sdk.md gives plugin authors the bundler command this test runs', async () => {
  const docs = await readFile(join(REPO_ROOT, 'docs/plugin-sdk.md'), 'utf8');
  const command = `npx esbuild ${PLUGIN_BUNDLE_ARGS.map(shellWord).join(' ')}`;
  assert.ok(docs.includes(command), `docs/plugin-sdk.md shows: ${command}`);
});

test('a fresh project installs the packed tarball, imports snoozebot/sdk and builds a plugin that loads', { timeout: 300_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snoozebot-fresh-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const tarball = await npmPack(join(dir, 'pack'), REPO_ROOT);
  const packed = (await run('tar', ['-tzf', tarball])).stdout.split('\n');
  assert.ok(packed.includes('package/dist/js/src/sdk/index.d.ts'), 'the SDK ships its types');
  assert.ok(packed.includes('package/dist/snoozebot'), 'the CLI ships as its bundle');
  assert.equal(packed.filter((f) => f.includes('/test/') || f.endsWith('.map')).length, 0, 'no tests or source maps in the tarball');

  const project = join(dir, 'project');
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'fresh-plugin', version: '1.0.0', private: true }, null, 2));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: project, timeout: 240_000 });
  await writeFile(join(project, 'plugin.ts'), PLUGIN);
  assert.ok(PLUGIN.trimEnd().split('\n').length <= 25, 'a plugin of about 20 lines');

  // Only `snoozebot/sdk` is importable; the package's insides are not.
  const resolve = (spec: string) =>
    run(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(spec)})`], { cwd: project }).then(
      () => 'resolved',
      (error: { stderr?: string }) => error.stderr ?? '',
    );
  assert.equal(await resolve('snoozebot/sdk'), 'resolved');
  assert.match(await resolve('snoozebot/dist/js/src/daemon/daemon.js'), /ERR_PACKAGE_PATH_NOT_EXPORTED/);

  // The types resolve through the exports map, as a plugin author's editor sees them.
  const tsc = join(REPO_ROOT, 'node_modules/.bin/tsc');
  await run(tsc, ['--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'preserve', '--moduleResolution', 'bundler', '--types', '', 'plugin.ts'], {
    cwd: project,
  }).catch((error: { stdout?: string; stderr?: string }) => assert.fail(`tsc: ${error.stdout ?? ''}${error.stderr ?? ''}`));

  const esbuild = join(REPO_ROOT, 'node_modules/.bin/esbuild');
  await run(esbuild, [...PLUGIN_BUNDLE_ARGS, '--log-level=warning'], { cwd: project });
  const plugin = join(project, 'build/fresh');
  await chmod(plugin, 0o755);
  assert.equal((await readdir(join(project, 'build'))).length, 1, 'one file');

  const check = await runCli(['plugins', 'check', plugin, '--json']);
  assert.equal(check.code, 0, check.stderr + check.stdout);
  const diagnosis = JSON.parse(check.stdout) as { ok: boolean; steps: { step: string; detail: string }[] };
  assert.equal(diagnosis.ok, true);
  assert.ok(diagnosis.steps.some((s) => s.detail.includes('fresh')), 'the check saw the provider name');

  // The same tarball installed globally (into a prefix of the test's own) runs from any directory.
  const prefix = join(dir, 'global');
  await run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { timeout: 240_000 });
  const global = join(prefix, 'bin/snoozebot');
  const version = await run(global, ['--version'], { cwd: '/' });
  assert.equal(version.stdout.trim(), VERSION);
  const shipped = join(prefix, 'lib/node_modules/snoozebot/dist/plugins/local');
  const globalCheck = await run(global, ['plugins', 'check', shipped], { cwd: '/' });
  assert.match(globalCheck.stdout, /works as a snoozebot plugin/);

  const build = await buildGoInterop();
  if (!goRequired(t, build)) return;
  const report = await runGoHost(build.host, plugin, { rpcs: 2, repeat: 1 });
  assert.equal(report.results.providerName, 'fresh');
  assert.equal(report.results.providerVersion, '0.0.1');
  assert.equal(report.results.instance?.id, 'i-fresh');
  assert.equal(report.results.stateAfterStop, 'stopped');
  assert.equal(report.results.stateAfterStart, 'running');
});
