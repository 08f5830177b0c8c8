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
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface LoginSession {
  readonly user: string;
  /** The terminal, "pts/0", "tty1". */
  readonly line: string;
  /** Where the user came from ("10.0.0.5"); '' for a local login. */
  readonly host: string;
  readonly pid: number;
  readonly loginTime: Date;
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
    });
  }
  return sessions;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** /run/utmp, else /var/run/utmp (older systems), else undefined: containers and some minimal systems have none. */
async function readUtmpFile(root: string): Promise<Buffer | undefined> {
  for (const path of ['run/utmp', 'var/run/utmp']) {
    try {
      return await readFile(join(root, path));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
  return undefined;
}

async function isAlive(root: string, pid: number): Promise<boolean> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    await access(join(root, 'proc', String(pid)));
    return true;
  } catch {
    return false;
  }
}

/** Sessions whose process is still alive; none when there is no utmp. */
export async function readSessions(root: string): Promise<LoginSession[]> {
  const data = await readUtmpFile(root);
  if (data === undefined) return [];
  const recorded = parseUtmp(data);
  if (recorded.length === 0) return recorded;
  const alive = await Promise.all(recorded.map((session) => isAlive(root, session.pid)));
  return recorded.filter((_, i) => alive[i]);
}

/** "alice on pts/0 from 10.0.0.5", "bob on tty1". */
export function describeSession(session: LoginSession): string {
  const who = `${session.user || '?'} on ${session.line || '?'}`;
  return session.host === '' ? who : `${who} from ${session.host}`;
}
