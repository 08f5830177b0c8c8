// `npm run package`: the Debian package, built with dpkg-deb from what
// `npm run build` left in dist/ (no node_modules: the CLI, the daemon and
// every plugin are bundles), and the npm tarball for systems without dpkg.
//
//   /usr/bin/snoozebot                    → ../lib/snoozebot/snoozebot
//   /usr/lib/snoozebot/snoozebot, chunks/ the CLI and daemon (scripts/bundle.ts)
//   /usr/lib/snoozebot/plugins/*          every bundled plugin, to link or copy into /etc/snoozebot/plugins
//   /etc/snoozebot/config.json            conffile, all comments (defaults)
//   /etc/snoozebot/plugins/               empty: no plugin runs until the admin adds one
//   /lib/systemd/system/snoozebot.service the hardened unit
//   /usr/share/doc/snoozebot/             README, docs, copyright, changelog
//   /usr/share/man/man1/snoozebot.1.gz
//
// Usage: node dist/js/scripts/package.js [--out DIR] [--no-npm-pack]
import { execFile } from 'node:child_process';
import { chmod, copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { VERSION } from '../src/version.js';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

export const PACKAGE = 'snoozebot';
export const MAINTAINER = 'snoozebot developers <snoozebot@users.noreply.github.com>';
/** The oldest Node.js the bundles run on (package.json's engines). */
export const NODE_DEPENDS = 'nodejs (>= 20.19)';

export function debFileName(version: string = VERSION): string {
  return `${PACKAGE}_${version}_all.deb`;
}

const CONTROL_DESCRIPTION = `Description: stops an idle cloud VM through go-plugin compatible plugins
 snoozebot is a daemon for cloud VMs. It supervises cloud-provider plugins
 (executables speaking HashiCorp go-plugin's gRPC protocol, so Go plugins load
 unchanged), uses them to read, stop and start the instance it runs on, and
 stops the machine once it has been idle for its nap time. The snoozebot
 command line talks to the daemon over a local socket.
 .
 Plugins for the machine itself (local) and for Amazon EC2 (aws) are shipped
 in /usr/lib/snoozebot/plugins; none runs until it is linked into
 /etc/snoozebot/plugins.`;

async function put(stage: string, path: string, content: string | Buffer, mode: number): Promise<void> {
  const to = join(stage, path);
  await mkdir(dirname(to), { recursive: true, mode: 0o755 });
  await writeFile(to, content, { mode });
  await chmod(to, mode);
}

async function putCopy(stage: string, path: string, from: string, mode: number): Promise<void> {
  await put(stage, path, await readFile(from), mode);
}

/** Every regular file under `dir`, relative paths. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)).map((p) => join(entry.name, p)));
    else if (entry.isFile()) out.push(entry.name);
  }
  return out.sort();
}

function rfc2822(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${days[date.getUTCDay()]}, ${two(date.getUTCDate())} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/** The package's files, laid out under `stage` (DEBIAN/ included). */
export async function stagePackage(stage: string, root: string = ROOT, date: Date = new Date()): Promise<void> {
  const dist = join(root, 'dist');
  await putCopy(stage, 'usr/lib/snoozebot/snoozebot', join(dist, 'snoozebot'), 0o755);
  for (const file of await filesUnder(join(dist, 'chunks'))) await putCopy(stage, join('usr/lib/snoozebot/chunks', file), join(dist, 'chunks', file), 0o644);
  // Every bundled plugin, whatever scripts/bundle.ts builds.
  for (const file of await filesUnder(join(dist, 'plugins'))) await putCopy(stage, join('usr/lib/snoozebot/plugins', file), join(dist, 'plugins', file), 0o755);
  await mkdir(join(stage, 'usr/bin'), { recursive: true, mode: 0o755 });
  await symlink('../lib/snoozebot/snoozebot', join(stage, 'usr/bin/snoozebot'));
  await putCopy(stage, 'etc/snoozebot/config.json', join(root, 'packaging/config.json'), 0o644);
  await mkdir(join(stage, 'etc/snoozebot/plugins'), { recursive: true, mode: 0o755 });
  await putCopy(stage, 'lib/systemd/system/snoozebot.service', join(root, 'packaging/snoozebot.service'), 0o644);

  const doc = 'usr/share/doc/snoozebot';
  await putCopy(stage, join(doc, 'README.md'), join(root, 'README.md'), 0o644);
  for (const file of await filesUnder(join(root, 'docs'))) await putCopy(stage, join(doc, file), join(root, 'docs', file), 0o644);
  await putCopy(stage, join(doc, 'copyright'), join(root, 'packaging/debian/copyright'), 0o644);
  const changelog = `${PACKAGE} (${VERSION}) unstable; urgency=medium\n\n  * Built from the snoozebot repository with npm run package.\n\n -- ${MAINTAINER}  ${rfc2822(date)}\n`;
  await put(stage, join(doc, 'changelog.gz'), gzipSync(changelog, { level: 9 }), 0o644);
  await put(stage, 'usr/share/man/man1/snoozebot.1.gz', gzipSync(await readFile(join(root, 'packaging/snoozebot.1')), { level: 9 }), 0o644);

  // Every directory 0755 (the stage's temp dir included, which becomes /).
  for (const dir of await directoriesUnder(stage)) await chmod(dir, 0o755);

  let installedBytes = 0;
  const sums: string[] = [];
  for (const file of await filesUnder(stage)) {
    const info = await lstat(join(stage, file));
    installedBytes += info.size;
    if (!file.startsWith('etc/')) sums.push(`${createHash('md5').update(await readFile(join(stage, file))).digest('hex')}  ${file}`);
  }
  const control = [
    `Package: ${PACKAGE}`,
    `Version: ${VERSION}`,
    'Architecture: all',
    `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${Math.ceil(installedBytes / 1024)}`,
    `Depends: ${NODE_DEPENDS}, init-system-helpers (>= 1.52), passwd`,
    'Section: admin',
    'Priority: optional',
    CONTROL_DESCRIPTION,
    '',
  ].join('\n');
  await put(stage, 'DEBIAN/control', control, 0o644);
  await put(stage, 'DEBIAN/conffiles', '/etc/snoozebot/config.json\n', 0o644);
  await put(stage, 'DEBIAN/md5sums', `${sums.join('\n')}\n`, 0o644);
  for (const script of ['postinst', 'prerm', 'postrm']) await putCopy(stage, join('DEBIAN', script), join(root, 'packaging/debian', script), 0o755);
  await chmod(join(stage, 'DEBIAN'), 0o755);
}

async function directoriesUnder(dir: string): Promise<string[]> {
  const out = [dir];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...(await directoriesUnder(join(dir, entry.name))));
  }
  return out;
}

/** Builds the .deb into `outDir`; its path. */
export async function buildDeb(outDir: string, root: string = ROOT): Promise<string> {
  const stage = await mkdtemp(join(tmpdir(), 'snoozebot-deb-'));
  try {
    await stagePackage(stage, root);
    await mkdir(outDir, { recursive: true });
    const deb = join(outDir, debFileName());
    await run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, deb]);
    return deb;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** `npm pack` of the repository into `outDir`; the tarball's path. */
export async function npmPack(outDir: string, root: string = ROOT): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', outDir], { cwd: root });
  const name = stdout.trim().split('\n').pop() ?? '';
  if (name === '') throw new Error('npm pack printed no file name');
  return join(outDir, name);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, 'no-npm-pack': { type: 'boolean' } } });
  const out = values.out ?? join(ROOT, 'dist');
  try {
    await stat(join(ROOT, 'dist/snoozebot'));
  } catch {
    throw new Error('dist/snoozebot is missing: run `npm run build` first (npm run package does)');
  }
  const deb = await buildDeb(out);
  const size = (await stat(deb)).size;
  process.stdout.write(`${relative(process.cwd(), deb) || deb} (${(size / 1024 / 1024).toFixed(1)} MiB)\n`);
  if (values['no-npm-pack'] !== true) {
    const tarball = await npmPack(out);
    process.stdout.write(`${relative(process.cwd(), tarball) || tarball} (${((await stat(tarball)).size / 1024 / 1024).toFixed(1)} MiB)\n`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    process.stderr.write(`npm run package: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
