// Reads a plugin's stderr lines as logs. go-plugin plugins (Go or ours) write
// hclog JSON: "@level", "@message", "@timestamp", "@module" and free fields;
// anything else is a plain line, logged at info. Pure: returns what to log.
// The fields are the plugin's, whatever their names: the host logs them under
// one key of their own (pluginFields), never among its own.

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface PluginLogEntry {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

const LEVELS: Readonly<Record<string, LogLevel>> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  fatal: 'error',
};

/** Keys that describe the line itself rather than the event: dropped, since our own logger adds them. */
const ENVELOPE = new Set(['@level', '@message', '@timestamp', '@module', '@caller']);

export function parsePluginLogLine(line: string): PluginLogEntry {
  if (line.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const record = parsed as Record<string, unknown>;
      if (typeof record['@message'] === 'string') {
        const level = LEVELS[String(record['@level']).toLowerCase()] ?? 'info';
        const fields: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(record)) if (!ENVELOPE.has(key)) fields[key] = value;
        return { level, message: record['@message'], fields };
      }
    }
  }
  return { level: 'info', message: line, fields: {} };
}

// A field value as hclog's text format writes it: bare when it has no space
// or quote, quoted otherwise; objects as JSON.
function formatValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/**
 * A stderr line for a human: an hclog JSON line as hclog's own text format
 * shows it (`[ERROR] plugin failed to start: error="…"`), anything else as it
 * is. Error messages quote a plugin's last stderr lines, and raw JSON there
 * would bury the message.
 */
export function renderPluginLogLine(line: string): string {
  const entry = parsePluginLogLine(line);
  // A plain line comes back as its own message; only a JSON line differs.
  if (entry.message === line) return line;
  const fields = Object.entries(entry.fields).map(([key, value]) => `${key}=${formatValue(value)}`);
  return `[${entry.level.toUpperCase()}] ${entry.message}${fields.length > 0 ? `: ${fields.join(' ')}` : ''}`;
}
