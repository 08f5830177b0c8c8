// The interop matrix (issue 13): each host (go-plugin's Go host, our
// TypeScript host) with each kind of plugin (Go on our proto, Go built like
// the Go snoozebot guide, Go of its first glue, our local plugin), the p50 of
// one RPC per cell. The RPC is GetProviderName, the one every kind
// implements (the guide's and the first glue's plugins have no
// GetAPIVersion). Every round runs every cell once, Go host and TS host of the
// same plugin next to each other, so neighbours' load falls on both alike.
// A TS host row's reference is the Go host with the same plugin (is our host
// as quick a go-plugin host?); a Go host row's is the Go host with the Go
// plugin on our proto (what does the plugin kind cost?).
import pino from 'pino';
import { PluginProcess } from '../src/host/plugin-process.js';
import type { GoBinaries } from '../test/interop/go-build.js';
import { runGoHost } from '../test/helpers/go.js';
import { erroredRow, measuredRow, skippedRow } from './rows.js';
import type { Group, Row, RowSpec } from './rows.js';
import { median, summarize } from './stats.js';
import { formatDuration } from './table.js';

const logger = pino({ level: 'silent' });

export type InteropHost = 'go' | 'ts';
export type InteropPlugin = 'goplugin' | 'goguide' | 'golegacy' | 'local';

const PLUGINS: readonly { readonly kind: InteropPlugin; readonly label: string }[] = [
  { kind: 'goplugin', label: 'Go plugin (our proto)' },
  { kind: 'goguide', label: 'Go, guide glue' },
  { kind: 'golegacy', label: 'Go, first glue' },
  { kind: 'local', label: 'TS local plugin' },
];

const HOSTS: readonly { readonly host: InteropHost; readonly label: string }[] = [
  { host: 'go', label: 'Go host' },
  { host: 'ts', label: 'TS host' },
];

/** Row ids: x1 … x8, Go host then TS host for each plugin in PLUGINS' order. */
export const INTEROP_ROWS: readonly string[] = PLUGINS.flatMap((_, i) => [`x${2 * i + 1}`, `x${2 * i + 2}`]);

function rowId(host: InteropHost, plugin: InteropPlugin): string {
  const i = PLUGINS.findIndex((p) => p.kind === plugin);
  return `x${2 * i + (host === 'go' ? 1 : 2)}`;
}

export interface InteropOptions {
  readonly rounds: number;
  /** Plugin processes per cell per round. */
  readonly cycles: number;
  /** Calls per cycle, the first `warmupRpcs` left out. */
  readonly rpcs: number;
  readonly warmupRpcs: number;
}

type CellKey = `${InteropHost}/${InteropPlugin}`;

export interface InteropSamples {
  readonly rpc: Map<CellKey, number[]>;
  /** A cell that failed: its error (the others still run). */
  readonly errors: Map<CellKey, string>;
  readonly options: InteropOptions;
}

function pathOf(bin: GoBinaries, local: string, plugin: InteropPlugin): string {
  switch (plugin) {
    case 'goplugin':
      return bin.plugin;
    case 'goguide':
      return bin.guide;
    case 'golegacy':
      return bin.legacy;
    case 'local':
      return local;
  }
}

async function goHostCell(bin: GoBinaries, path: string, options: InteropOptions, into: number[]): Promise<void> {
  const report = await runGoHost(bin.host, path, {
    rpc: 'GetProviderName',
    rpcs: options.rpcs,
    repeat: options.cycles,
    timeoutMs: 120_000,
  });
  for (const cycle of report.cycles) into.push(...cycle.rpcNs.slice(options.warmupRpcs));
}

async function tsHostCell(path: string, options: InteropOptions, into: number[]): Promise<void> {
  for (let c = 0; c < options.cycles; c++) {
    const plugin = new PluginProcess({ path, logger });
    try {
      await plugin.start();
      const client = plugin.client;
      for (let i = 0; i < options.rpcs; i++) {
        const t = process.hrtime.bigint();
        await client.providerName();
        if (i >= options.warmupRpcs) into.push(Number(process.hrtime.bigint() - t));
      }
    } finally {
      await plugin.stop();
    }
  }
}

/** Runs the matrix: `rounds` × every cell, the Go host and the TS host of one plugin back to back. */
export async function measureInterop(
  bin: GoBinaries,
  localPlugin: string,
  options: InteropOptions,
  log: (message: string) => void,
): Promise<InteropSamples> {
  const samples: InteropSamples = { rpc: new Map(), errors: new Map(), options };
  for (let round = 1; round <= options.rounds; round++) {
    log(`interop matrix round ${round}/${options.rounds}`);
    for (const { kind } of PLUGINS) {
      const path = pathOf(bin, localPlugin, kind);
      for (const { host } of HOSTS) {
        const key: CellKey = `${host}/${kind}`;
        if (samples.errors.has(key)) continue;
        const into = samples.rpc.get(key) ?? [];
        samples.rpc.set(key, into);
        try {
          if (host === 'go') await goHostCell(bin, path, options, into);
          else await tsHostCell(path, options, into);
        } catch (error) {
          samples.errors.set(key, error instanceof Error ? error.message : String(error));
          log(`interop ${key} failed: ${samples.errors.get(key) ?? ''}`);
        }
      }
    }
  }
  return samples;
}

function spec(host: InteropHost, plugin: InteropPlugin, options: InteropOptions | undefined): RowSpec {
  const hostLabel = HOSTS.find((h) => h.host === host)?.label ?? host;
  const pluginLabel = PLUGINS.find((p) => p.kind === plugin)?.label ?? plugin;
  const calls = options === undefined ? '' : `calls ${options.warmupRpcs + 1}–${options.rpcs} of each of ${options.rounds} × ${options.cycles} plugin processes, pooled; `;
  return {
    id: rowId(host, plugin),
    label: `${hostLabel} → ${pluginLabel}: GetProviderName p50`,
    target: { kind: 'info' },
    note:
      `${calls}reference: ` +
      (host === 'ts' ? 'the Go host with the same plugin' : plugin === 'goplugin' ? 'itself (the matrix\'s yardstick)' : 'the Go host with the Go plugin on our proto'),
  };
}

/** The matrix as rows of the results table; `skipped` when Go is absent or the rows were not selected. */
export function interopGroup(samples: InteropSamples | { readonly skipped: string }): Group {
  const title = 'Issue 13: interop matrix (GetProviderName p50 per host × plugin)';
  const rows: Row[] = [];
  for (const { kind } of PLUGINS) {
    for (const { host } of HOSTS) {
      if ('skipped' in samples) {
        rows.push(skippedRow(spec(host, kind, undefined), samples.skipped));
        continue;
      }
      const key: CellKey = `${host}/${kind}`;
      const s = spec(host, kind, samples.options);
      const error = samples.errors.get(key);
      const values = samples.rpc.get(key) ?? [];
      if (error !== undefined) rows.push(erroredRow(s, error));
      else if (values.length === 0) rows.push(erroredRow(s, 'no samples'));
      else {
        const refKey: CellKey = host === 'ts' ? `go/${kind}` : 'go/goplugin';
        const refValues = samples.errors.has(refKey) ? [] : (samples.rpc.get(refKey) ?? []);
        const reference =
          refValues.length > 0 && refKey !== key
            ? { label: `Go host → ${PLUGINS.find((p) => `go/${p.kind}` === refKey)?.label ?? refKey}`, summary: summarize(refValues) }
            : undefined;
        rows.push(measuredRow(s, summarize(values), reference));
      }
    }
  }
  return { title, rows };
}

/** The same figures as a host × plugin table for the notes under the results. */
export function interopMatrixLines(samples: InteropSamples | { readonly skipped: string }): string[] {
  if ('skipped' in samples) return [];
  const cell = (host: InteropHost, plugin: InteropPlugin): string => {
    const key: CellKey = `${host}/${plugin}`;
    if (samples.errors.has(key)) return 'error';
    const values = samples.rpc.get(key) ?? [];
    return values.length === 0 ? '-' : formatDuration(median(values));
  };
  const header = ['GetProviderName p50', ...PLUGINS.map((p) => p.label)];
  const lines = HOSTS.map(({ host, label }) => [label, ...PLUGINS.map(({ kind }) => cell(host, kind))]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return ['Interop matrix (x1–x8):', render(header), ...lines.map(render), ''];
}
