// How long ago each session last had input, and whether it still counts.
//
// A terminal session's last input is its terminal's access time, as `w`
// computes it: the kernel touches a tty's atime when the program on it reads
// a key (at most every 8 seconds, tty_update_time()). A desktop session
// (logind Type x11, wayland, mir) reads its input from evdev, not from a
// terminal, so its last input is logind's idle hint, which the desktop sets
// (logind-idle.ts). When both are known, the more recent one wins.
//
// A session whose last input cannot be known (no terminal, a desktop that
// never sets the hint, loginctl failing) counts as in use: a machine is never
// stopped on missing evidence.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionActivity } from '../status.js';
import type { IdleHint } from './logind-idle.js';
import type { LoginSession } from './sessions.js';

const GRAPHICAL_TYPES: ReadonlySet<string> = new Set(['x11', 'wayland', 'mir']);

export function isGraphical(session: LoginSession): boolean {
  return session.type !== undefined && GRAPHICAL_TYPES.has(session.type);
}

/** "pts/0", "tty1", "/dev/pts/0" → the device under /dev; undefined for an X display (":0") or anything that is not a plain device path. */
export function terminalDevice(line: string): string | undefined {
  const name = line.startsWith('/dev/') ? line.slice(5) : line;
  if (name === '' || name.includes(':') || name.startsWith('/')) return undefined;
  for (const part of name.split('/')) if (part === '' || part === '.' || part === '..') return undefined;
  return name;
}

/**
 * The access time of the terminal `line` under `root`, epoch ms; undefined
 * when there is no such device. Synchronous: one stat per session and sample,
 * cheaper than a trip through libuv's thread pool (see proc-file.ts).
 */
export function terminalAccessMs(root: string, line: string): number | undefined {
  const device = terminalDevice(line);
  if (device === undefined) return undefined;
  try {
    return statSync(join(root, 'dev', device), { throwIfNoEntry: false })?.atimeMs;
  } catch {
    return undefined;
  }
}

export interface ActivityOptions {
  readonly root: string;
  readonly now: number;
  /** null: every session counts whatever its input. */
  readonly sessionIdleMs: number | null;
  /** logind's idle hints of the graphical sessions, by session id; an Error when they could not be read. */
  readonly hints: ReadonlyMap<string, IdleHint> | Error | undefined;
}

/** The last input of `session`: when, and from where. */
function lastInput(session: LoginSession, options: ActivityOptions): { at: number; from: 'tty' | 'logind' } | undefined {
  const tty = session.line === '' ? undefined : terminalAccessMs(options.root, session.line);
  if (!isGraphical(session)) return tty === undefined ? undefined : { at: tty, from: 'tty' };
  // A desktop's terminal (the VT it runs on) sees no keystrokes: without the hint nothing is known.
  const hint = options.hints instanceof Error || session.session === undefined ? undefined : options.hints?.get(session.session);
  if (hint === undefined || hint.sinceMs === undefined) return undefined;
  const fromHint = hint.idle ? hint.sinceMs : options.now;
  return tty !== undefined && tty > fromHint ? { at: tty, from: 'tty' } : { at: fromHint, from: 'logind' };
}

export function sessionActivity(session: LoginSession, options: ActivityOptions): SessionActivity {
  const input = lastInput(session, options);
  const idleMs = input === undefined ? undefined : Math.max(0, options.now - input.at);
  const counted = options.sessionIdleMs === null || idleMs === undefined || idleMs <= options.sessionIdleMs;
  const loginTime = session.loginTime.getTime();
  return {
    user: session.user,
    line: session.line,
    host: session.host,
    ...(session.service === undefined ? {} : { service: session.service }),
    ...(session.type === undefined ? {} : { type: session.type }),
    ...(session.session === undefined ? {} : { session: session.session }),
    source: session.source ?? 'utmp',
    loginTime: loginTime > 0 ? new Date(loginTime).toISOString() : null,
    idleSeconds: idleMs === undefined ? null : Math.floor(idleMs / 1000),
    idleFrom: input?.from ?? null,
    counted,
  };
}
