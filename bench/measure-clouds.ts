// Issue 15's figures: the bundled cloud plugins' file sizes (what a start
// has to read and, without a warm code cache, compile) beside the local
// plugin's. Their start → first RPC cycles are measure-ts-host.ts's, run by
// run.ts next to the local plugin's; GetAPIVersion needs no cloud endpoint,
// so no metadata server or cloud API is involved.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

export const BUNDLES = ['local', 'aws', 'gcp', 'azure'] as const;
export type Bundle = (typeof BUNDLES)[number];

export type BundleSizes = Record<Bundle, number[]>;

export function emptyBundleSizes(): BundleSizes {
  return { local: [], aws: [], gcp: [], azure: [] };
}

export function pluginPath(root: string, name: Bundle): string {
  return join(root, 'dist/plugins', name);
}

/** Bytes of each bundled plugin file (one sample each: a file's size does not vary). */
export async function measureBundleSizes(into: BundleSizes, root: string): Promise<void> {
  for (const name of BUNDLES) into[name].push((await stat(pluginPath(root, name))).size);
}
