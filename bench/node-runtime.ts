// The Node.js versions issue 16's rows are measured on: the one running the
// bench, and Node 24 installed from the npm registry's `node@24` package into
// a temporary prefix (as .ci/run installs the Node versions it tests on).
// SNOOZEBOT_BENCH_NODE24=/path/to/node uses a Node 24 already there instead.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface NodeRuntime {
  /** "v20.20.2". */
  readonly version: string;
  /** The node binary. */
  readonly execPath: string;
  /** The environment a process started on this runtime gets: its bin dir first on PATH, so plugins' `#!/usr/bin/env node` is this Node too. */
  readonly env: NodeJS.ProcessEnv;
}

export function runtimeEnv(execPath: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: `${dirname(execPath)}:${env.PATH ?? '/usr/bin:/bin'}` };
}

export function currentRuntime(): NodeRuntime {
  return { version: process.version, execPath: process.execPath, env: runtimeEnv(process.execPath) };
}

async function versionOf(execPath: string): Promise<string> {
  const { stdout } = await run(execPath, ['--version'], { timeout: 30_000 });
  return stdout.trim();
}

/** A Node 24 and how to get rid of it; throws with the reason when it cannot be had. */
export async function node24(): Promise<{ runtime: NodeRuntime; dispose: () => Promise<void> }> {
  const given = process.env.SNOOZEBOT_BENCH_NODE24;
  if (given !== undefined && given !== '') {
    return { runtime: { version: await versionOf(given), execPath: given, env: runtimeEnv(given) }, dispose: async () => {} };
  }
  const prefix = await mkdtemp(join(tmpdir(), 'sb-bench-node24-'));
  try {
    await run('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', 'node@24'], {
      timeout: 300_000,
    });
    const execPath = join(prefix, 'node_modules/node/bin/node');
    const version = await versionOf(execPath);
    if (!version.startsWith('v24.')) throw new Error(`npm's node@24 installed ${version}`);
    return { runtime: { version, execPath, env: runtimeEnv(execPath) }, dispose: () => rm(prefix, { recursive: true, force: true }) };
  } catch (error) {
    await rm(prefix, { recursive: true, force: true });
    throw new Error(`could not install node@24 from npm: ${error instanceof Error ? error.message : String(error)}`);
  }
}
