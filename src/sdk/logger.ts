// Plugin logs in hclog's JSON shape.
//
// go-plugin hosts read a plugin's stderr line by line; a JSON line with
// "@level", "@message" and "@timestamp" is re-logged at that level with its
// other keys as fields, anything else is shown as a debug line. hclog's
// timestamp has exactly six fractional digits, and a host that cannot parse it
// drops back to the debug path, so the format below is part of the protocol.
import pino from 'pino';
import type { Logger as PinoLogger, LevelWithSilent } from 'pino';

export type Logger = PinoLogger;

export interface LoggerOptions {
  /** Shown by hclog as the module; usually the plugin's name. */
  readonly name?: string;
  readonly level?: LevelWithSilent;
  /** File descriptor or stream to write to; the default, 2, is what go-plugin hosts read. */
  readonly destination?: number | NodeJS.WritableStream;
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/** pino's ISO time has milliseconds; hclog's layout wants microseconds. */
export function hclogTimestamp(date: Date): string {
  return date.toISOString().replace(/(\.\d{3})Z$/, '$1000Z');
}

export function levelFromEnv(value: string | undefined, fallback: LevelWithSilent = 'info'): LevelWithSilent {
  const level = value?.trim().toLowerCase();
  return level !== undefined && LEVELS.has(level) ? (level as LevelWithSilent) : fallback;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination =
    typeof options.destination === 'object'
      ? options.destination
      : pino.destination({ dest: options.destination ?? 2, sync: true });
  return pino(
    {
      level: options.level ?? 'info',
      messageKey: '@message',
      errorKey: 'error',
      base: options.name === undefined ? null : { '@module': options.name },
      timestamp: () => `,"@timestamp":"${hclogTimestamp(new Date())}"`,
      formatters: {
        // hclog has no "fatal"; error is the closest level a host will honour.
        level: (label) => ({ '@level': label === 'fatal' ? 'error' : label }),
      },
    },
    destination,
  );
}
