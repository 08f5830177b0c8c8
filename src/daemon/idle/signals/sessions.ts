// Logged-in users from utmp, the file login, sshd and terminal emulators
// write a record to for every session. glibc's layout on x86_64 and aarch64
// (both little-endian, 32-bit times kept for 32-bit compatibility), 384
// bytes a record:
//
//   0 ut_type int16 (+2 padding)   4 ut_pid int32      8 ut_line[32]
//  40 ut_id[4]                    44 ut_user[32]      76 ut_host[256]
// 332 ut_exit (2 × int16)        336 ut_session int32
// 340 ut_tv.tv_sec int32         344 ut_tv.tv_usec int32
// 348 ut_addr_v6[4] int32        364 unused[20]
//
// A session that ends without its DEAD_PROCESS record (a crashed sshd, a
// reboot before utmp moved to tmpfs) leaves its USER_PROCESS record behind,
// so a session only counts while its process is alive.
//
// Newer distributions (Debian 13, Fedora 40+, Ubuntu 24.10+) write no utmp
// at all; there logind's session files (logind.ts) are the record. Older systemd machines have both,
// listing each login twice, so the two are merged: utmp's record of a login
// is kept (it names the terminal, which logind does not know for ssh), with
// what logind adds (the session id and its type, which says whether it is a
// desktop), and logind's dropped.
//
// Every file here is read synchronously: they live on tmpfs and /proc, and a
// sample reads them every few seconds for months (see proc-file.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLogindSessions, toLoginSession } from './logind.js';

export interface LoginSession {
  readonly user: string;
  /** The terminal, "pts/0", "tty1"; '' when unknown (logind's ssh sessions). */
  readonly line: string;
  /** Where the user came from ("10.0.0.5"); '' for a local login. */
  readonly host: string;
  /** utmp's ut_pid; logind's session LEADER. */
  readonly pid: number;
  readonly loginTime: Date;
  readonly source?: 'utmp' | 'logind';
  /** The logind session id: a logind session's own, or the one a utmp record's process runs in (its session-<id>.scope). */
  readonly session?: string;
  /** The PAM service that opened a logind session ("sshd"), to name a session that has no terminal. */
  readonly service?: string;
  /** logind's session type: tty, x11, wayland, mir, web, unspecified; absent when logind does not list the login. */
  readonly type?: string;
}

export const UTMP_RECORD_BYTES = 384;
export const USER_PROCESS = 7;

const TYPE = 0;
const PID = 4;
const LINE = 8;
const LINE_BYTES = 32;
const USER = 44;
const USER_BYTES = 32;
const HOST = 76;
const HOST_BYTES = 256;
const TV_SEC = 340;
const TV_USEC = 344;

/** A NUL-terminated string that may also fill its whole field. */
function text(record: Buffer, offset: number, size: number): string {
  let end = offset;
  const limit = offset + size;
  while (end < limit && record[end] !== 0) end++;
  return record.toString('utf8', offset, end);
}

/** The USER_PROCESS records in utmp contents, alive or not. A truncated last record (being written) is ignored. */
export function parseUtmp(data: Buffer): LoginSession[] {
  const sessions: LoginSession[] = [];
  for (let at = 0; at + UTMP_RECORD_BYTES <= data.length; at += UTMP_RECORD_BYTES) {
    if (data.readInt16LE(at + TYPE) !== USER_PROCESS) continue;
    // Read unsigned: the signed 32-bit field runs out in 2038, the unsigned one in 2106.
    const seconds = data.readUInt32LE(at + TV_SEC);
    const micros = data.readInt32LE(at + TV_USEC);
    sessions.push({
      user: text(data, at + USER, USER_BYTES),
      line: text(data, at + LINE, LINE_BYTES),
      host: text(data, at + HOST, HOST_BYTES),
      pid: data.readInt32LE(at + PID),
      loginTime: new Date(seconds * 1000 + Math.trunc(micros / 1000)),
      source: 'utmp',
    });
  }
  return sessions;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** /run/utmp, else /var/run/utmp (older systems), else undefined: containers and some minimal systems have none. */
function readUtmpFile(root: string): Buffer | undefined {
  for (const path of ['run/utmp', 'var/run/utmp']) {
    try {
      return readFileSync(join(root, path));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
  return undefined;
}

function isAlive(root: string, pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 0 && existsSync(join(root, 'proc', String(pid)));
}

function aliveOnly(root: string, sessions: LoginSession[]): LoginSession[] {
  return sessions.length === 0 ? sessions : sessions.filter((session) => isAlive(root, session.pid));
}

/** The live USER_PROCESS records of utmp; none when there is no utmp. */
function readUtmpSessions(root: string): LoginSession[] {
  const data = readUtmpFile(root);
  return data === undefined ? [] : aliveOnly(root, parseUtmp(data));
}

// cgroup v2 "0::/user.slice/user-1000.slice/session-3.scope", or v1's
// "1:name=systemd:…" line: logind puts every process of session 3 there.
const SESSION_SCOPE = /\/session-([A-Za-z0-9]+)\.scope(?:\/|$)/m;

/** The logind session a process belongs to, from its cgroup; undefined when it is in none or is gone. */
export async function logindSessionOf(root: string, pid: number): Promise<string | undefined> {
  try {
    return SESSION_SCOPE.exec(readFileSync(join(root, 'proc', String(pid), 'cgroup'), 'utf8'))?.[1];
  } catch {
    // Only used to spot a login listed twice: not knowing it counts the login twice, it hides none.
    return undefined;
  }
}

function sameLogin(recorded: LoginSession, listed: LoginSession): boolean {
  if (recorded.pid === listed.pid) return true;
  if (recorded.session !== undefined && recorded.session === listed.session) return true;
  return recorded.line !== '' && recorded.line === listed.line && recorded.user === listed.user;
}

/**
 * utmp's sessions, then logind's that are not already among them: the same
 * process (login's utmp pid is its logind leader), the same logind session
 * (sshd records the shell in utmp, but logind the sshd process that opened
 * the session) or the same terminal and user. A utmp record takes the logind
 * session id and type of its twin, so a desktop's record gets its idle hint.
 */
export function mergeSessions(utmp: readonly LoginSession[], logind: readonly LoginSession[]): LoginSession[] {
  const recorded = utmp.map((record) => {
    const twin = logind.find((listed) => sameLogin(record, listed));
    if (twin === undefined) return record;
    const session = record.session ?? twin.session;
    return { ...record, ...(session === undefined ? {} : { session }), ...(twin.type === undefined ? {} : { type: twin.type }) };
  });
  return [...recorded, ...logind.filter((listed) => !utmp.some((record) => sameLogin(record, listed)))];
}

/** Sessions whose process is still alive, from utmp and logind; none when neither exists. */
export async function readSessions(root: string): Promise<LoginSession[]> {
  const utmp = readUtmpSessions(root);
  const logind = aliveOnly(root, (await readLogindSessions(root)).map(toLoginSession));
  if (utmp.length === 0 || logind.length === 0) return [...utmp, ...logind];
  const scopes = await Promise.all(utmp.map((session) => logindSessionOf(root, session.pid)));
  const placed = utmp.map((session, i) => {
    const scope = scopes[i];
    return scope === undefined ? session : { ...session, session: scope };
  });
  return mergeSessions(placed, logind);
}

/** "alice on pts/0 from 10.0.0.5", "bob on tty1", "carol via sshd from 10.0.0.7" (logind knows no terminal for ssh). */
export function describeSession(session: Pick<LoginSession, 'user' | 'line' | 'host' | 'service'>): string {
  const where = session.line === '' && session.service !== undefined ? `via ${session.service}` : `on ${session.line || '?'}`;
  const who = `${session.user || '?'} ${where}`;
  return session.host === '' ? who : `${who} from ${session.host}`;
}
