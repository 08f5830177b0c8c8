import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UTMP_RECORD_BYTES, USER_PROCESS, describeSession, parseUtmp, readSessions } from '../../src/daemon/idle/signals/sessions.js';

// utmp record types (<bits/utmp.h>).
const RUN_LVL = 1;
const BOOT_TIME = 2;
const LOGIN_PROCESS = 6;
const DEAD_PROCESS = 8;

interface Record {
  readonly type: number;
  readonly pid?: number;
  readonly line?: string;
  readonly id?: string;
  readonly user?: string;
  readonly host?: string;
  readonly seconds?: number;
  readonly micros?: number;
}

/** One glibc x86_64/aarch64 utmp record, as login or sshd writes it. */
function utmpRecord(r: Record): Buffer {
  const b = Buffer.alloc(UTMP_RECORD_BYTES);
  b.writeInt16LE(r.type, 0);
  b.writeInt32LE(r.pid ?? 0, 4);
  b.write(r.line ?? '', 8, 32, 'utf8');
  b.write(r.id ?? '', 40, 4, 'utf8');
  b.write(r.user ?? '', 44, 32, 'utf8');
  b.write(r.host ?? '', 76, 256, 'utf8');
  b.writeInt32LE(r.pid ?? 0, 336); // ut_session
  b.writeUInt32LE(r.seconds ?? 1_700_000_000, 340);
  b.writeInt32LE(r.micros ?? 0, 344);
  // ut_addr_v6: 10.0.0.5 for a remote login, as sshd fills it.
  if (r.host) b.writeUInt32BE(0x0a000005, 348);
  return b;
}

/** What a real /run/utmp holds on a machine with a console and ssh logins. */
const ALICE = { type: USER_PROCESS, pid: 4242, line: 'pts/0', id: 'ts/0', user: 'alice', host: '10.0.0.5', seconds: 1_700_000_100, micros: 250_000 };
const BOB = { type: USER_PROCESS, pid: 4343, line: 'tty1', id: 'tty1', user: 'bob', seconds: 1_700_000_200 };
const STALE = { type: USER_PROCESS, pid: 999_999, line: 'pts/3', id: 'ts/3', user: 'carol', host: 'laptop.example.com' };
const TYPICAL = [
  utmpRecord({ type: BOOT_TIME, line: '~', id: '~~', user: 'reboot', host: '6.18.0' }),
  utmpRecord({ type: RUN_LVL, pid: 53, line: '~', id: '~~', user: 'runlevel', host: '6.18.0' }),
  utmpRecord({ type: LOGIN_PROCESS, pid: 700, line: 'ttyS0', id: 'tyS0', user: 'LOGIN' }),
  utmpRecord(ALICE),
  utmpRecord(BOB),
  utmpRecord({ type: DEAD_PROCESS, pid: 4100, line: 'pts/1', id: 'ts/1' }),
  utmpRecord(STALE),
];

describe('parseUtmp', () => {
  it('returns every USER_PROCESS record with its fields', () => {
    const sessions = parseUtmp(Buffer.concat(TYPICAL));
    assert.deepEqual(sessions, [
      { user: 'alice', line: 'pts/0', host: '10.0.0.5', pid: 4242, loginTime: new Date(1_700_000_100_250), source: 'utmp' },
      { user: 'bob', line: 'tty1', host: '', pid: 4343, loginTime: new Date(1_700_000_200_000), source: 'utmp' },
      { user: 'carol', line: 'pts/3', host: 'laptop.example.com', pid: 999_999, loginTime: new Date(1_700_000_000_000), source: 'utmp' },
    ]);
  });

  it('ignores a truncated trailing record', () => {
    const data = Buffer.concat([utmpRecord(ALICE), utmpRecord(BOB).subarray(0, 200)]);
    assert.deepEqual(parseUtmp(data).map((s) => s.user), ['alice']);
    assert.deepEqual(parseUtmp(Buffer.alloc(0)), []);
    assert.deepEqual(parseUtmp(utmpRecord(ALICE).subarray(0, UTMP_RECORD_BYTES - 1)), []);
  });

  it('reads fields that fill their whole width without a NUL', () => {
    const user = 'u'.repeat(32);
    const host = 'h'.repeat(256);
    const [session] = parseUtmp(utmpRecord({ ...ALICE, user, host, line: 'l'.repeat(32) }));
    assert.equal(session?.user, user);
    assert.equal(session?.host, host);
    assert.equal(session?.line, 'l'.repeat(32));
  });

  it('reads login times after 2038', () => {
    const [session] = parseUtmp(utmpRecord({ ...ALICE, seconds: 2 ** 31 + 10, micros: 0 }));
    assert.equal(session?.loginTime.getTime(), (2 ** 31 + 10) * 1000);
  });
});

describe('describeSession', () => {
  it('says who, where and from where', () => {
    const [alice, bob] = parseUtmp(Buffer.concat([utmpRecord(ALICE), utmpRecord(BOB)]));
    assert.ok(alice && bob);
    assert.equal(describeSession(alice), 'alice on pts/0 from 10.0.0.5');
    assert.equal(describeSession(bob), 'bob on tty1');
  });
});

describe('readSessions over a fixture root', () => {
  let root = '';
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'snoozebot-utmp-'));
    await mkdir(join(root, 'run'));
    await mkdir(join(root, 'var/run'), { recursive: true });
    // Alice's and Bob's sessions are alive; Carol's sshd died without a DEAD_PROCESS record.
    for (const pid of [ALICE.pid, BOB.pid, 700]) await mkdir(join(root, 'proc', String(pid)), { recursive: true });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('counts only sessions whose process is alive', async () => {
    await writeFile(join(root, 'run/utmp'), Buffer.concat(TYPICAL));
    assert.deepEqual((await readSessions(root)).map(describeSession), ['alice on pts/0 from 10.0.0.5', 'bob on tty1']);
  });

  it('drops a session once its process is gone', async () => {
    await writeFile(join(root, 'run/utmp'), Buffer.concat(TYPICAL));
    await rm(join(root, 'proc', String(ALICE.pid)), { recursive: true });
    assert.deepEqual((await readSessions(root)).map((s) => s.user), ['bob']);
  });

  it('falls back to /var/run/utmp', async () => {
    await writeFile(join(root, 'var/run/utmp'), utmpRecord(BOB));
    assert.deepEqual((await readSessions(root)).map((s) => s.user), ['bob']);
  });

  it('prefers /run/utmp over /var/run/utmp', async () => {
    await writeFile(join(root, 'run/utmp'), utmpRecord(ALICE));
    await writeFile(join(root, 'var/run/utmp'), utmpRecord(BOB));
    assert.deepEqual((await readSessions(root)).map((s) => s.user), ['alice']);
  });

  it('is no session when there is no utmp (containers), or an empty one', async () => {
    assert.deepEqual(await readSessions(root), []);
    await writeFile(join(root, 'run/utmp'), Buffer.alloc(0));
    assert.deepEqual(await readSessions(root), []);
    assert.deepEqual(await readSessions('/nonexistent/root'), []);
  });

  it('fails when utmp exists but cannot be read', async () => {
    // A directory where the file should be: EISDIR, which must not read as "nobody logged in".
    await mkdir(join(root, 'run/utmp'));
    await assert.rejects(readSessions(root), { code: 'EISDIR' });
  });
});
