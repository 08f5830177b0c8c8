// Where things are, for tests: the repo root, built plugins, fixtures.
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Tests run from dist/js/test/...; the repo root is three levels above dist/js/test. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

export const LOCAL_PLUGIN = join(REPO_ROOT, 'dist/plugins/local');
export const CLI = join(REPO_ROOT, 'bin/snoozebot');

/**
 * A fixture plugin compiled from test/fixtures/plugins/<name>.ts (which starts
 * with a `#!/usr/bin/env node` line). tsc writes files 644, so it is made
 * executable here.
 */
export function tsFixture(name: string): string {
  const path = join(REPO_ROOT, 'dist/js/test/fixtures/plugins', `${name}.js`);
  chmodSync(path, 0o755);
  return path;
}

/** A shell fixture plugin, committed executable under test/fixtures/plugins/<name>.sh. */
export function shFixture(name: string): string {
  return join(REPO_ROOT, 'test/fixtures/plugins', `${name}.sh`);
}
