// Pure text formatting for the CLI's human output: tables, key: value blocks,
// durations. No I/O; `now` is a parameter so the output is testable.
import { humanizeDuration } from '../daemon/duration.js';
import type { ContainmentStatus, DaemonStatus, InstanceRecord, PluginStatus } from '../daemon/types.js';

const NONE = '-';

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** Bytes in binary units: 512 B, 1.5 KiB, 42 MiB. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = unit === 0 || value >= 10 ? String(Math.round(value)) : value.toFixed(1);
  return `${shown} ${BYTE_UNITS[unit]}`;
}

/** "cgroup (/sys/fs/cgroup/…)" or "process-group (why)"; a daemon too old to say is "unknown". */
export function formatContainment(containment: ContainmentStatus | undefined): string {
  if (containment === undefined) return 'unknown (this daemon does not report it)';
  return `${containment.mode} (${containment.detail})`;
}

/** Left-aligned columns separated by two spaces; the last column is never padded. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd())
    .join('\n');
}

/** "key: value" lines with the values aligned. */
export function formatKeyValues(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...pairs.map(([key]) => key.length + 1));
  return pairs.map(([key, value]) => `${`${key}:`.padEnd(width)} ${value}`.trimEnd()).join('\n');
}

// Shared with the daemon's own messages ("idle for 30m00s").
export { humanizeDuration };

/** One line (whitespace runs collapsed), at most `max` characters, "…" when cut. */
export function cut(text: string, max = 60): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Seconds from an ISO time to `now`, or undefined when there is no time. */
function secondsSince(iso: string | null, now: Date): number | undefined {
  if (iso === null) return undefined;
  const then = Date.parse(iso);
  return Number.isNaN(then) ? undefined : (now.getTime() - then) / 1000;
}

function uptime(plugin: PluginStatus, now: Date): string {
  const seconds = plugin.state === 'serving' ? secondsSince(plugin.servingSince, now) : undefined;
  return seconds === undefined ? NONE : humanizeDuration(seconds);
}

export function formatProvider(plugin: PluginStatus): string {
  return plugin.provider === null ? NONE : `${plugin.provider.name} ${plugin.provider.version}`.trim();
}

/** The API version in a few characters: "0.1.0", "1", "unversioned" (the words in brackets are for `plugins info`). */
function shortApi(plugin: PluginStatus): string {
  return plugin.api === null ? NONE : (plugin.api.split(' (')[0] ?? plugin.api);
}

/** `tls: on (AutoMTLS) | off`, as far as the serving process tells. */
export function formatTls(plugin: PluginStatus): string {
  return plugin.tls === null ? NONE : plugin.tls ? 'on (AutoMTLS)' : 'off';
}

/** "loaded", "unloaded (operator)", "loaded, lazy". */
function formatWanted(p: PluginStatus): string {
  return `${p.wanted}${p.wantedBy === 'operator' ? ' (operator)' : ''}${p.start === 'lazy' ? ', lazy' : ''}`;
}

/** `plugins list`: NAME WANTED STATE PID UPTIME RESTARTS PROVIDER API LAST ERROR. */
export function formatPluginTable(plugins: readonly PluginStatus[], now: Date): string {
  if (plugins.length === 0) return 'no plugins (a plugin is an executable in the daemon\'s plugins directory)';
  const rows = plugins.map((p) => [
    p.name,
    formatWanted(p),
    p.job === null ? p.state : `${p.state} (${p.job.split(':')[0]})`,
    p.pid === null ? NONE : String(p.pid),
    uptime(p, now),
    String(p.restarts),
    formatProvider(p),
    shortApi(p),
    p.lastError === null || p.lastError === '' ? NONE : cut(p.lastError, 60),
  ]);
  return formatTable([['NAME', 'WANTED', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'PROVIDER', 'API', 'LAST ERROR'], ...rows]);
}

function ago(iso: string | null, now: Date): string {
  const seconds = secondsSince(iso, now);
  return iso === null ? NONE : seconds === undefined ? iso : `${iso} (${humanizeDuration(seconds)} ago)`;
}

/** `plugins info NAME`: everything about one plugin. */
export function formatPluginInfo(p: PluginStatus, now: Date): string {
  return formatKeyValues([
    ['name', p.name],
    ['path', p.path],
    [
      'wanted',
      `${p.wanted} (${p.wantedBy === 'operator' ? `by the operator${p.wantedSince === null ? '' : ` at ${p.wantedSince}`}` : 'by the config'})`,
    ],
    ['start', p.start === 'lazy' ? 'lazy (at the first call that needs it)' : 'boot (with the daemon)'],
    ['state', p.state],
    ['job', p.job ?? NONE],
    ['reason', p.reason || NONE],
    ['since', ago(p.since, now)],
    ['pid', p.pid === null ? NONE : String(p.pid)],
    ['uptime', uptime(p, now)],
    ['restarts', `${p.restarts} (${p.recentCrashes} crashes in the current window)`],
    ['provider', formatProvider(p)],
    ['api', p.api ?? NONE],
    ['tls', formatTls(p)],
    ['next start', p.nextStartAt ?? NONE],
    // Optional chaining: an older daemon does not send the field.
    ['memory', p.memoryBytes === null || p.memoryBytes === undefined ? NONE : formatBytes(p.memoryBytes)],
    ['last error', p.lastError === null || p.lastError === '' ? NONE : p.lastError.replace(/\n/g, '\n  ')],
  ]);
}

/** `status`: a short summary of the daemon (the idle block is format-idle.ts's). */
export function formatStatus(s: Omit<DaemonStatus, 'idle'>): string {
  const counts = `${s.plugins.total} total, ${s.plugins.serving} serving, ${s.plugins.failed} failed`;
  return formatKeyValues([
    ['daemon', `snoozebot ${s.version}, pid ${s.pid}, up ${humanizeDuration(s.uptimeSeconds)} (since ${s.startedAt})`],
    ['plugins', counts],
    ['default provider', s.defaultProvider ?? NONE],
    ['dry run', s.dryRun ? 'yes: the machine is never stopped (no plugin is sent StopInstance or StartInstance)' : 'no'],
    ...(s.shuttingDown ? [['shutting down', 'yes: changes and plugin calls are refused'] as const] : []),
    ['plugins dir', s.pluginsDir],
    ['state dir', s.stateDir],
    ['socket', s.socket],
    ['containment', formatContainment((s as Partial<Pick<DaemonStatus, 'containment'>>).containment)],
  ]);
}

/** `instance info`: one instance, launch time as ISO-8601. */
export function formatInstance(plugin: string, i: InstanceRecord): string {
  return formatKeyValues([
    ['plugin', plugin],
    ['id', i.id || NONE],
    ['name', i.name || NONE],
    ['type', i.type || NONE],
    ['region', i.region || NONE],
    ['zone', i.zone || NONE],
    ['state', i.state || NONE],
    ['launch time', i.launchTime ?? NONE],
  ]);
}

/** `instance list`: one row per instance. */
export function formatInstanceTable(instances: readonly InstanceRecord[]): string {
  if (instances.length === 0) return 'no instances';
  const rows = instances.map((i) => [i.id, i.name, i.type, i.region, i.zone, i.state, i.launchTime ?? NONE].map((c) => c || NONE));
  return formatTable([['ID', 'NAME', 'TYPE', 'REGION', 'ZONE', 'STATE', 'LAUNCH TIME'], ...rows]);
}
