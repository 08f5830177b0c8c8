// The soak's temporary directory and the plugin binaries in it.
//
//   <root>/plugins/<name>   what the daemon supervises
//   <root>/stash/<name>     each plugin's good binary, to put back after a fault
//   <root>/bad/...          binaries swapped in by faults (garbage or late
//                           handshake, stdout flood before the handshake) and,
//                           per plugin, a wrapper that floods stderr then execs
//                           the good binary
//   <root>/control/         commands for the chaos plugins
//   <root>/state, t/, api.sock, config.json   the daemon's
//
// Binaries go in the way operators install them: a hidden name in the
// directory (which the daemon ignores), then an atomic rename over the plugin.
// The good binaries are hard links to one copy per kind, so putting one back
// costs no copy.
import { chmod, copyFile, link, mkdir, mkdtemp, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_PLUGIN, REPO_ROOT, shFixture } from '../helpers/paths.js';

export type PluginKind = 'local' | 'chaos' | 'go';

export interface SoakPlugin {
  readonly name: string;
  readonly kind: PluginKind;
}

/** Binaries a fault can swap in for a plugin. */
export type BadBinary = 'garbage' | 'late' | 'handshake-flood' | 'start-flood';

const CHAOS_SCRIPT = join(REPO_ROOT, 'dist/js/test/soak/plugins/chaos.js');

/** Past the daemon's start timeout (config.ts): the handshake comes too late. */
export const LATE_HANDSHAKE_S = 6;

let installCounter = 0;

export class RunDir {
  readonly root: string;
  readonly pluginsDir: string;
  readonly stashDir: string;
  readonly badDir: string;
  readonly controlDir: string;
  readonly stateDir: string;
  /** The daemon's TMPDIR: plugin socket directories land here. */
  readonly tmpDir: string;
  readonly socket: string;
  readonly configPath: string;

  private constructor(root: string) {
    this.root = root;
    this.pluginsDir = join(root, 'plugins');
    this.stashDir = join(root, 'stash');
    this.badDir = join(root, 'bad');
    this.controlDir = join(root, 'control');
    this.stateDir = join(root, 'state');
    this.tmpDir = join(root, 't');
    this.socket = join(root, 'api.sock');
    this.configPath = join(root, 'config.json');
  }

  static async create(): Promise<RunDir> {
    // Short: plugin socket paths (<root>/t/snoozebot-host-XXXXXX/...) must fit in 107 bytes.
    const dir = new RunDir(await mkdtemp(join(tmpdir(), 'sbs-')));
    for (const sub of [dir.pluginsDir, dir.stashDir, dir.badDir, dir.controlDir]) {
      await mkdir(sub);
      await chmod(sub, 0o755);
    }
    await mkdir(dir.tmpDir, { mode: 0o700 });
    return dir;
  }

  /** Fills stash/ with each plugin's good binary and bad/ with the fault binaries. */
  async prepare(plugins: readonly SoakPlugin[], goPlugin: string | undefined, startNoiseLines: number): Promise<void> {
    const originals: Partial<Record<PluginKind, string>> = {};
    const original = async (kind: PluginKind): Promise<string> => {
      const known = originals[kind];
      if (known !== undefined) return known;
      const path = join(this.stashDir, `.${kind}`);
      if (kind === 'local') await copyFile(LOCAL_PLUGIN, path);
      else if (kind === 'go') {
        if (goPlugin === undefined) throw new Error('a Go plugin was asked for without a Go build');
        await copyFile(goPlugin, path);
      } else {
        // exec keeps the pid, so the pid the daemon sees is node's.
        const script = `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CHAOS_SCRIPT)} --control ${JSON.stringify(this.controlDir)}\n`;
        await writeFile(path, script);
      }
      await chmod(path, 0o755);
      originals[kind] = path;
      return path;
    };
    for (const plugin of plugins) {
      await link(await original(plugin.kind), join(this.stashDir, plugin.name));
      await this.#writeScript(
        join(this.badDir, `${plugin.name}.start-flood`),
        [
          '# Floods stderr before its handshake, then becomes the plugin itself.',
          `yes 'soak start-flood: noise' | head -n ${startNoiseLines} >&2`,
          "head -c 300000 /dev/zero | tr '\\0' e >&2",
          'echo >&2',
          `exec ${JSON.stringify(join(this.stashDir, plugin.name))}`,
        ],
      );
    }
    await copyFile(shFixture('garbage-handshake'), join(this.badDir, 'garbage'));
    await copyFile(shFixture('stdout-flood'), join(this.badDir, 'handshake-flood'));
    await this.#writeScript(join(this.badDir, 'late'), [
      "# A valid-looking handshake, but after the daemon's start timeout.",
      `sleep ${LATE_HANDSHAKE_S}`,
      "echo '1|1|unix|/nonexistent/plugin.sock|grpc|'",
      'exec cat >/dev/null',
    ]);
    for (const name of ['garbage', 'handshake-flood']) await chmod(join(this.badDir, name), 0o755);
  }

  async #writeScript(path: string, lines: readonly string[]): Promise<void> {
    await writeFile(path, `#!/bin/sh\n${lines.join('\n')}\n`);
    await chmod(path, 0o755);
  }

  pluginPath(name: string): string {
    return join(this.pluginsDir, name);
  }

  #badPath(name: string, bad: BadBinary): string {
    return bad === 'start-flood' ? join(this.badDir, `${name}.start-flood`) : join(this.badDir, bad);
  }

  /** Link `source` in under a hidden name, then rename it over the plugin: one atomic replace. */
  async #install(name: string, source: string): Promise<void> {
    const temp = join(this.pluginsDir, `.${name}.${process.pid}.${++installCounter}`);
    await link(source, temp);
    await rename(temp, this.pluginPath(name));
  }

  installGood(name: string): Promise<void> {
    return this.#install(name, join(this.stashDir, name));
  }

  installBad(name: string, bad: BadBinary): Promise<void> {
    return this.#install(name, this.#badPath(name, bad));
  }

  removePlugin(name: string): Promise<void> {
    return unlink(this.pluginPath(name));
  }

  /** What is in the daemon's TMPDIR right now (its plugins' socket directories, normally). */
  tmpEntries(): Promise<string[]> {
    return readdir(this.tmpDir);
  }

  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
