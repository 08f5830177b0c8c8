// Logged-in users from systemd-logind's session files. systemd 256 and later
// distributions (Debian 13, Fedora 40+, Ubuntu 24.10+) no longer write utmp,
// so there logind is the only record of who is logged in. logind keeps one
// file per session, /run/systemd/sessions/<id>, of KEY=value lines:
//
//   # This is private data. Do not parse.
//   UID=1000
//   USER=alice
//   STATE=active          opening, online, active or closing
//   TYPE=tty              tty, x11, wayland, mir, web, unspecified
//   CLASS=user            user, user-early, greeter, background, manager…
//   TTY=tty1              absent for ssh (pam_systemd drops sshd's PAM_TTY)
//   REMOTE_HOST=10.0.0.5  C-escaped, like REMOTE_USER, SERVICE and DESKTOP
//   SERVICE=sshd
//   LEADER=4242           the process that opened the session
//   REALTIME=1700000100250000   start, µs since the epoch
//
// The file says "do not parse", but libsystemd's sd_session_get_*() read
// these very files, so their keys are as stable as that API; asking logind
// over D-Bus would need a bus client for one list.
//
// Only the session files are read here; whether the leader still runs is
// left to the caller, as for utmp.
import { closeSync, constants, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LoginSession } from './sessions.js';

export const LOGIND_SESSIONS_DIR = 'run/systemd/sessions';

/** One session file's fields that say whether and how it counts. */
export interface LogindSession {
  /** The session id, the file's name: "3", "c1". */
  readonly id: string;
  readonly user: string;
  readonly uid: number | undefined;
  /** The LEADER process. */
  readonly leader: number;
  /** '' when the file has none. */
  readonly class: string;
  readonly state: string;
  readonly type: string;
  /** The terminal, else the X display, else ''. */
  readonly line: string;
  readonly host: string;
  /** The PAM service that opened it, "sshd", "login"; '' when unknown. */
  readonly service: string;
  /** undefined when the file has no REALTIME. */
  readonly loginTime: Date | undefined;
}

// Sessions a person logged in to. Since systemd 256 root's console and ssh
// logins are user-early and system users' text logins user-light, so
// "user" alone would miss an administrator's ssh session. Left out: greeter
// and lock-screen (a login screen is not a login), background (cron, at),
// manager (systemd --user, running for lingering users with no one logged
// in) and none.
const LOGIN_CLASSES: ReadonlySet<string> = new Set(['user', 'user-early', 'user-light', 'user-early-light', 'user-incomplete']);

/** logind's session_id_valid(): anything else in the directory (the "<id>.ref" FIFOs, ".#<id>…" temporaries) is not a session. */
const SESSION_ID = /^[A-Za-z0-9]+$/;

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, "'": 39, '?': 63 };

/** Undoes systemd's cescape(): \n, \\, \xNN, and \NNN (octal, which it uses for other control and non-ASCII bytes). */
export function unescapeC(value: string): string {
  if (!value.includes('\\')) return value;
  const bytes: number[] = [];
  const raw = Buffer.from(value, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte !== 0x5c || i + 1 >= raw.length) {
      bytes.push(byte);
      continue;
    }
    const next = String.fromCharCode(raw[i + 1]!);
    const simple = SIMPLE_ESCAPES[next];
    const hex = /^x[0-9a-fA-F]{2}/.exec(raw.toString('latin1', i + 1, i + 4));
    const octal = /^[0-3][0-7]{2}/.exec(raw.toString('latin1', i + 1, i + 4));
    if (simple !== undefined) {
      bytes.push(simple);
      i += 1;
    } else if (hex !== null) {
      bytes.push(Number.parseInt(hex[0].slice(1), 16));
      i += 3;
    } else if (octal !== null) {
      bytes.push(Number.parseInt(octal[0], 8));
      i += 3;
    } else {
      bytes.push(byte);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A remote host or service name ends up in status output on a terminal: no control characters from a forged escape. */
function printable(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function positiveInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^[1-9][0-9]*$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * One session file, or undefined when it cannot describe a live login: empty
 * (logind renames a finished file into place, so an empty one is another
 * writer's or a crash's), without a user, or without a LEADER to check.
 */
export function parseLogindSession(id: string, text: string): LogindSession | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    fields.set(line.slice(0, equals).trim(), line.slice(equals + 1));
  }
  const leader = positiveInteger(fields.get('LEADER'));
  const uidText = fields.get('UID');
  const uid = uidText !== undefined && /^[0-9]+$/.test(uidText) ? Number(uidText) : undefined;
  const user = fields.get('USER') ?? (uid === undefined ? undefined : String(uid));
  if (leader === undefined || user === undefined || user === '') return undefined;
  const realtime = fields.get('REALTIME');
  const micros = realtime !== undefined && /^[0-9]+$/.test(realtime) ? Number(realtime) : undefined;
  return {
    id,
    user,
    uid,
    leader,
    class: fields.get('CLASS') ?? '',
    state: fields.get('STATE') ?? '',
    type: fields.get('TYPE') ?? '',
    line: fields.get('TTY') || fields.get('DISPLAY') || '',
    host: printable(unescapeC(fields.get('REMOTE_HOST') ?? '')),
    service: printable(unescapeC(fields.get('SERVICE') ?? '')),
    loginTime: micros === undefined || micros === 0 ? undefined : new Date(Math.trunc(micros / 1000)),
  };
}

/**
 * A person's login that is not on its way out. A file without CLASS (logind
 * has written one since classes exist) still counts: a machine is not stopped
 * on missing evidence.
 */
export function isLoginSession(session: LogindSession): boolean {
  return (session.class === '' || LOGIN_CLASSES.has(session.class)) && session.state !== 'closing';
}

export function toLoginSession(session: LogindSession): LoginSession {
  return {
    user: session.user,
    line: session.line,
    host: session.host,
    pid: session.leader,
    // An unknown start reads as the epoch rather than an invalid Date; only the count and names are shown.
    loginTime: session.loginTime ?? new Date(0),
    source: 'logind',
    session: session.id,
    ...(session.type === '' ? {} : { type: session.type }),
    ...(session.service === '' ? {} : { service: session.service }),
  };
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

// O_NONBLOCK: should a FIFO ever take a session's name, opening it must not
// wait for a writer and hang the sampler; on a regular file it changes nothing.
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

function readNonBlocking(path: string): string {
  const fd = openSync(path, READ_FLAGS);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * The logins logind lists under `root`, oldest first, whether their leader
 * still runs or not; none when there is no session directory (no logind, a
 * container). A session ending while it is read is skipped.
 */
export async function readLogindSessions(root: string): Promise<LogindSession[]> {
  const dir = join(root, LOGIND_SESSIONS_DIR);
  let entries;
  try {
    // Synchronous, like the /proc reads: tmpfs, every sample (proc-file.ts says why).
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  const ids = entries.filter((entry) => entry.isFile() && SESSION_ID.test(entry.name)).map((entry) => entry.name);
  const parsed = ids.map((id) => {
    try {
      return parseLogindSession(id, readNonBlocking(join(dir, id)));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  });
  const sessions = parsed.filter((session): session is LogindSession => session !== undefined && isLoginSession(session));
  return sessions.sort((a, b) => (a.loginTime?.getTime() ?? 0) - (b.loginTime?.getTime() ?? 0) || a.id.localeCompare(b.id, 'en', { numeric: true }));
}
