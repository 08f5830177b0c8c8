// Text of the results: one Markdown table (printed as is on the console and
// written to bench/results.md), the machine it ran on, and the row notes.
// Pure: takes data, returns strings.
import { unitOf } from './rows.js';
import type { Group, Row, Target } from './rows.js';

export interface MachineInfo {
  readonly date: string;
  readonly nproc: string;
  readonly node: string;
  readonly go: string;
  readonly cpu: string;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
}

const NS_PER_US = 1_000;
const NS_PER_MS = 1_000_000;

/** ms with one decimal from 1 ms up; µs below (whole µs from 10 µs, one decimal under that). */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  const us = ns / NS_PER_US;
  // 999.6 µs would round to "1000 µs": show it as 1.0 ms.
  if (Math.round(us) >= 1_000) return `${(ns / NS_PER_MS).toFixed(1)} ms`;
  return us >= 10 ? `${Math.round(us)} µs` : `${us.toFixed(1)} µs`;
}

/** MiB from 1 MiB up, KiB below (a growth of 40 KiB must not read as "0.0 MiB"). */
export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A share of one core, from ns of CPU per second of wall time: "0.052 %". */
export function formatShare(nsPerSecond: number): string {
  return `${((nsPerSecond / 1e9) * 100).toFixed(3)} %`;
}

/** Memory rows are in bytes, CPU-share rows in ns per second, every other row in nanoseconds. */
function formatValue(row: Row, value: number): string {
  const unit = unitOf(row);
  return unit === 'bytes' ? formatBytes(value) : unit === 'share' ? formatShare(value) : formatDuration(value);
}

export function formatRatio(ratio: number, digits = 2): string {
  return `${ratio.toFixed(digits)}×`;
}

export function formatTarget(target: Target): string {
  switch (target.kind) {
    case 'ratio':
      return `≤ ${target.max}×`;
    case 'absolute':
      // Targets are round numbers: "≤ 50 ms", not "≤ 50.0 ms".
      return `≤ ${formatDuration(target.maxNs).replace(/\.0 /, ' ')}`;
    case 'bytes':
      return `≤ ${formatBytes(target.maxBytes).replace(/\.0 /, ' ')}`;
    case 'share':
      return `≤ ${Number((target.max * 100).toFixed(3))} %`;
    case 'info':
      return 'info';
    case 'reference':
      return '—';
  }
}

const DASH = '—';

/**
 * The ratio with two decimals, or three when two would round it onto its
 * target (1.6009 shown as "1.60×" beside "≤ 1.6×" and MISS reads as a bug).
 */
function ratioCell(row: Row): string {
  const ratio = row.ratio as number;
  const t = row.target;
  if (t.kind === 'ratio' && ratio !== t.max && Number(ratio.toFixed(2)) === t.max) return formatRatio(ratio, 3);
  return formatRatio(ratio);
}
const HEADER = ['row', 'median', 'p99', 'reference (median)', 'ref p99', 'ratio', 'floor (median)', '× floor', 'target', 'result'] as const;

function firstClause(text: string, max = 60): string {
  const clause = text.split(/[;\n]/, 1)[0]?.trim() ?? '';
  return clause.length > max ? `${clause.slice(0, max - 1)}…` : clause;
}

/** Pipes would end a Markdown cell early. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

function rowCells(row: Row): string[] {
  const label = `${row.id}. ${row.label}`;
  if (row.summary === undefined) {
    const what = row.result === 'error' ? 'error' : 'skipped';
    return [label, `${what}: ${firstClause(row.problem ?? '')}`, ...HEADER.slice(2, -2).map(() => DASH), formatTarget(row.target), what];
  }
  const { reference, floor } = row;
  return [
    label,
    formatValue(row, row.summary.median),
    formatValue(row, row.summary.p99),
    reference ? `${formatValue(row, reference.summary.median)} (${reference.label})` : DASH,
    reference ? formatValue(row, reference.summary.p99) : DASH,
    row.ratio !== undefined ? ratioCell(row) : DASH,
    floor ? `${formatValue(row, floor.summary.median)} (${floor.label})` : DASH,
    row.floorRatio !== undefined ? formatRatio(row.floorRatio) : DASH,
    formatTarget(row.target),
    row.result === 'reference' ? 'ref' : row.result,
  ];
}

/** One Markdown table; a bold line opens each group. Columns are padded so it also reads well as plain text. */
export function renderTable(groups: readonly Group[]): string {
  const lines: (readonly string[] | string)[] = [];
  for (const group of groups) {
    lines.push(`**${group.title}**`);
    for (const row of group.rows) lines.push(rowCells(row).map(cell));
  }
  const widths = HEADER.map((h) => h.length);
  for (const line of lines) {
    if (typeof line === 'string') {
      widths[0] = Math.max(widths[0] ?? 0, line.length);
      continue;
    }
    line.forEach((text, i) => (widths[i] = Math.max(widths[i] ?? 0, text.length)));
  }
  const format = (cells: readonly string[]) =>
    `| ${cells.map((text, i) => text.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const out = [format(HEADER), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`];
  for (const line of lines) {
    out.push(typeof line === 'string' ? format([line, ...HEADER.slice(1).map(() => '')]) : format(line));
  }
  return out.join('\n');
}

function formatLoad(load: readonly number[]): string {
  return load.map((l) => l.toFixed(2)).join(' ');
}

export function renderMachine(machine: MachineInfo): string {
  return [
    `- date: ${machine.date}`,
    `- nproc: ${machine.nproc} (${machine.cpu})`,
    `- node: ${machine.node}`,
    `- go: ${machine.go}`,
    `- load average (1/5/15 min): ${formatLoad(machine.loadBefore)} before, ${formatLoad(machine.loadAfter)} after`,
  ].join('\n');
}

export function renderNotes(groups: readonly Group[]): string {
  const out: string[] = [];
  for (const group of groups) {
    for (const row of group.rows) {
      if (row.summary === undefined) {
        // The full reason (an install hint, a stack) is given once, below the notes.
        out.push(`- ${row.id}: ${row.result}: ${firstClause(row.problem ?? '', 200)}`);
        continue;
      }
      const parts: string[] = [];
      if (row.note) parts.push(row.note);
      if (row.summary) {
        parts.push(`n=${row.summary.n}, min ${formatValue(row, row.summary.min)}, max ${formatValue(row, row.summary.max)}`);
      }
      if (row.reference) {
        const r = row.reference.summary;
        parts.push(`reference ${row.reference.label}: n=${r.n}, min ${formatValue(row, r.min)}, max ${formatValue(row, r.max)}`);
      }
      if (row.floor) {
        const f = row.floor.summary;
        parts.push(`floor ${row.floor.label}: n=${f.n}, p99 ${formatValue(row, f.p99)}`);
      }
      if (parts.length > 0) out.push(`- ${row.id}: ${parts.join('; ')}`);
    }
  }
  return out.join('\n');
}

/** The whole report: title, machine, table, notes. */
export function renderReport(machine: MachineInfo, groups: readonly Group[], footer: readonly string[] = []): string {
  return [
    '# snoozebot bench',
    '',
    renderMachine(machine),
    '',
    renderTable(groups),
    '',
    'Notes (figures are medians; p99 is nearest-rank, so with fewer than 100 samples it is the maximum):',
    '',
    renderNotes(groups),
    ...(footer.length > 0 ? ['', ...footer] : []),
    '',
  ].join('\n');
}
