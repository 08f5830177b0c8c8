import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdleSampler } from '../../src/daemon/idle/sampler.js';
import { DEFAULT_IDLE_THRESHOLDS } from '../../src/daemon/idle/settings.js';
import { LOGIND_SESSIONS_DIR, isLoginSession, parseLogindSession, readLogindSessions, toLoginSession, unescapeC } from '../../src/daemon/idle/signals/logind.js';
import { USER_PROCESS, UTMP_RECORD_BYTES, describeSession, logindSessionOf, mergeSessions, readSessions } from '../../src/daemon/idle/signals/sessions.js';
import type { LoginSession } from '../../src/daemon/idle/signals/sessions.js';
import { REPO_ROOT } from '../helpers/paths.js';

// /run/systemd/sessions/<id> as systemd 257 (Debian 13) writes them.

/** alice over ssh: pam_systemd drops sshd's PAM_TTY "ssh", so there is no TTY line. */
const SSH = `# This is private data. Do not parse.
UID=1000
USER=alice
ACTIVE=1
IS_DISPLAY=0
STATE=active
REMOTE=1
LEADER_FD_SAVED=yes
TYPE=tty
ORIGINAL_TYPE=tty
CLASS=user
SCOPE=session-3.scope
FIFO=/run/systemd/sessions/3.ref
REMOTE_HOST=10.0.0.5
SERVICE=sshd
POSITION=0
LEADER=4242
AUDIT=3
REALTIME=1700000100250123
MONOTONIC=86570123456
`;

/** bob on the first virtual console. */
const TTY = `# This is private data. Do not parse.
UID=1001
USER=bob
ACTIVE=1
IS_DISPLAY=1
STATE=active
REMOTE=0
LEADER_FD_SAVED=yes
TYPE=tty
ORIGINAL_TYPE=tty
CLASS=user
SCOPE=session-1.scope
FIFO=/run/systemd/sessions/1.ref
SEAT=seat0
TTY=tty1
TTY_VALIDITY=from-pam
SERVICE=login
VTNR=1
LEADER=700
AUDIT=1
REALTIME=1700000200000000
MONOTONIC=86670000000
`;

/** root over ssh: since systemd 256 pam_systemd makes it user-early. */
const ROOT_SSH = SSH.replace('UID=1000', 'UID=0').replace('USER=alice', 'USER=root').replace('CLASS=user', 'CLASS=user-early')
  .replace('LEADER=4242', 'LEADER=4300').replace('REALTIME=1700000100250123', 'REALTIME=1700000300000000').replaceAll('session-3', 'session-5').replace('3.ref', '5.ref');

/** GDM's login screen on seat0: a greeter, not a login. */
const GREETER = `# This is private data. Do not parse.
UID=120
USER=gdm
ACTIVE=1
IS_DISPLAY=1
STATE=active
REMOTE=0
LEADER_FD_SAVED=yes
TYPE=wayland
ORIGINAL_TYPE=wayland
CLASS=greeter
SCOPE=session-c1.scope
FIFO=/run/systemd/sessions/c1.ref
SEAT=seat0
TTY=tty1
TTY_VALIDITY=from-pam
SERVICE=gdm-launch-environment
DESKTOP=gnome-shell
VTNR=1
LEADER=1100
REALTIME=1699999990000000
MONOTONIC=12000000
`;

/** alice's systemd --user, kept by lingering: no one is logged in for it. */
const MANAGER = `# This is private data. Do not parse.
UID=1000
USER=alice
ACTIVE=0
IS_DISPLAY=0
STATE=online
REMOTE=0
LEADER_FD_SAVED=yes
TYPE=unspecified
ORIGINAL_TYPE=unspecified
CLASS=manager
SCOPE=user@1000.service
SERVICE=systemd-user
POSITION=0
LEADER=4250
REALTIME=1700000100300000
MONOTONIC=86570200000
`;

/** cron's job session. */
const CRON = MANAGER.replace('CLASS=manager', 'CLASS=background').replace('SERVICE=systemd-user', 'SERVICE=crond').replace('LEADER=4250', 'LEADER=4260');

/** carol logged out: her session is closing while its processes wind down. */
const CLOSING = SSH.replace('USER=alice', 'USER=carol').replace('UID=1000', 'UID=1002').replace('STATE=active', 'STATE=closing')
  .replace('LEADER=4242', 'LEADER=4400').replace('REMOTE_HOST=10.0.0.5', 'REMOTE_HOST=10.0.0.9');

/** dave's sshd died (a crash, kill -9) before logind removed the file. */
const DEAD = SSH.replace('USER=alice', 'USER=dave').replace('UID=1000', 'UID=1003').replace('LEADER=4242', 'LEADER=999999');

const MALFORMED = 'this is not a session\n\u0000\u0000\u0000';
const NO_LEADER = SSH.replace('LEADER=4242\n', '');

describe('parseLogindSession', () => {
  it('reads an ssh session', () => {
    assert.deepEqual(parseLogindSession('3', SSH), {
      id: '3',
      user: 'alice',
      uid: 1000,
      leader: 4242,
      class: 'user',
      state: 'active',
      type: 'tty',
      line: '',
      host: '10.0.0.5',
      service: 'sshd',
      loginTime: new Date(1_700_000_100_250),
    });
  });

  it('reads a console session', () => {
    const session = parseLogindSession('1', TTY);
    assert.ok(session);
    assert.deepEqual([session.user, session.uid, session.leader, session.line, session.host, session.service], ['bob', 1001, 700, 'tty1', '', 'login']);
    assert.equal(session.loginTime?.getTime(), 1_700_000_200_000);
  });

  it('names an X display when there is no terminal', () => {
    const x11 = TTY.replace('TTY=tty1\n', '').replace('TYPE=tty', 'TYPE=x11') + 'DISPLAY=:0\n';
    assert.equal(parseLogindSession('4', x11)?.line, ':0');
  });

  it('undoes cescape() in the remote host and service', () => {
    const session = parseLogindSession('6', SSH.replace('REMOTE_HOST=10.0.0.5', 'REMOTE_HOST=caf\\303\\251.example\\x2eorg').replace('SERVICE=sshd', 'SERVICE=ss\\\\hd'));
    assert.equal(session?.host, 'café.example.org');
    assert.equal(session?.service, 'ss\\hd');
  });

  it('keeps control characters out of what status prints', () => {
    const session = parseLogindSession('6', SSH.replace('REMOTE_HOST=10.0.0.5', 'REMOTE_HOST=evil\\033[2J\\nhost'));
    assert.equal(session?.host, 'evil?[2J?host');
  });

  it('is nothing for an empty file, one without a leader, or garbage', () => {
    assert.equal(parseLogindSession('9', ''), undefined);
    assert.equal(parseLogindSession('9', NO_LEADER), undefined);
    assert.equal(parseLogindSession('9', MALFORMED), undefined);
    assert.equal(parseLogindSession('9', SSH.replace('LEADER=4242', 'LEADER=-1')), undefined);
    assert.equal(parseLogindSession('9', SSH.replace('LEADER=4242', 'LEADER=42x')), undefined);
  });

  it('falls back to the uid without USER, and to no start time without REALTIME', () => {
    const session = parseLogindSession('7', SSH.replace('USER=alice\n', '').replace(/^REALTIME=.*\n/m, ''));
    assert.equal(session?.user, '1000');
    assert.equal(session?.loginTime, undefined);
    assert.equal(session && toLoginSession(session).loginTime.getTime(), 0);
  });
});

describe('isLoginSession', () => {
  const parsed = (text: string) => {
    const session = parseLogindSession('1', text);
    assert.ok(session);
    return session;
  };

  it('counts a person\'s logins, root\'s user-early ones too', () => {
    assert.equal(isLoginSession(parsed(SSH)), true);
    assert.equal(isLoginSession(parsed(TTY)), true);
    assert.equal(isLoginSession(parsed(ROOT_SSH)), true);
    assert.equal(isLoginSession(parsed(SSH.replace('CLASS=user', 'CLASS=user-light'))), true);
    assert.equal(isLoginSession(parsed(SSH.replace('STATE=active', 'STATE=online'))), true);
    assert.equal(isLoginSession(parsed(SSH.replace('STATE=active', 'STATE=opening'))), true);
  });

  it('leaves out greeters, lock screens, user managers, background jobs and closing sessions', () => {
    assert.equal(isLoginSession(parsed(GREETER)), false);
    assert.equal(isLoginSession(parsed(GREETER.replace('CLASS=greeter', 'CLASS=lock-screen'))), false);
    assert.equal(isLoginSession(parsed(MANAGER)), false);
    assert.equal(isLoginSession(parsed(MANAGER.replace('CLASS=manager', 'CLASS=manager-early'))), false);
    assert.equal(isLoginSession(parsed(CRON)), false);
    assert.equal(isLoginSession(parsed(CRON.replace('CLASS=background', 'CLASS=background-light'))), false);
    assert.equal(isLoginSession(parsed(CLOSING)), false);
  });

  it('counts a session whose file names no class', () => {
    assert.equal(isLoginSession(parsed(SSH.replace('CLASS=user\n', ''))), true);
  });
});

describe('unescapeC', () => {
  it('undoes C escapes and leaves the rest', () => {
    assert.equal(unescapeC('plain'), 'plain');
    assert.equal(unescapeC('a\\tb\\\\c\\"d\\x41\\101'), 'a\tb\\c"dAA');
    assert.equal(unescapeC('\\342\\202\\254'), '€');
    assert.equal(unescapeC('end\\'), 'end\\');
    assert.equal(unescapeC('\\q\\x4'), '\\q\\x4');
  });
});

describe('describeSession of logind sessions', () => {
  it('names the service when logind knows no terminal', () => {
    const ssh = parseLogindSession('3', SSH);
    const tty = parseLogindSession('1', TTY);
    assert.ok(ssh && tty);
    assert.equal(describeSession(toLoginSession(ssh)), 'alice via sshd from 10.0.0.5');
    assert.equal(describeSession(toLoginSession(tty)), 'bob on tty1');
    assert.equal(describeSession({ ...toLoginSession(ssh), service: undefined }), 'alice on ? from 10.0.0.5');
  });
});

/** A root with /proc/<pid> directories for the given live processes. */
async function rootWith(pids: readonly number[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'snoozebot-logind-'));
  await mkdir(join(root, LOGIND_SESSIONS_DIR), { recursive: true });
  for (const pid of pids) await mkdir(join(root, 'proc', String(pid)), { recursive: true });
  return root;
}

async function putSessions(root: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [name, text] of Object.entries(files)) await writeFile(join(root, LOGIND_SESSIONS_DIR, name), text);
}

function utmpRecord(pid: number, user: string, line: string, host: string): Buffer {
  const b = Buffer.alloc(UTMP_RECORD_BYTES);
  b.writeInt16LE(USER_PROCESS, 0);
  b.writeInt32LE(pid, 4);
  b.write(line, 8, 32);
  b.write(user, 44, 32);
  b.write(host, 76, 256);
  b.writeUInt32LE(1_700_000_100, 340);
  return b;
}

/** A machine without utmp (systemd 256+) where every kind of session file is present. */
const ALL_KINDS: Readonly<Record<string, string>> = {
  '1': TTY,
  '3': SSH,
  '5': ROOT_SSH,
  c1: GREETER,
  c2: MANAGER,
  c3: CRON,
  '8': CLOSING,
  '10': DEAD,
  '11': MALFORMED,
  '12': '',
  '13': NO_LEADER,
  // logind's temporary file, renamed into place once written.
  '.#3Zx9Qa': SSH.slice(0, 40),
};
const LIVE = [700, 4242, 4300, 1100, 4250, 4260, 4400];

describe('readLogindSessions and readSessions over a fixture root', () => {
  let root = '';
  beforeEach(async () => {
    root = await rootWith(LIVE);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('lists the logins, oldest first, dead leaders included', async () => {
    await putSessions(root, ALL_KINDS);
    // dave's session started when alice's did: the lower id first, as a number.
    assert.deepEqual((await readLogindSessions(root)).map((s) => `${s.id} ${s.user}`), ['3 alice', '10 dave', '1 bob', '5 root']);
  });

  it('counts the logins whose leader is alive', async () => {
    await putSessions(root, ALL_KINDS);
    const sessions = await readSessions(root);
    assert.deepEqual(sessions.map(describeSession), ['alice via sshd from 10.0.0.5', 'bob on tty1', 'root via sshd from 10.0.0.5']);
    assert.deepEqual(sessions[0], {
      user: 'alice',
      line: '',
      host: '10.0.0.5',
      pid: 4242,
      loginTime: new Date(1_700_000_100_250),
      source: 'logind',
      session: '3',
      service: 'sshd',
      type: 'tty',
    });
  });

  it('drops a session once its leader is gone', async () => {
    await putSessions(root, { '3': SSH, '1': TTY });
    await rm(join(root, 'proc/4242'), { recursive: true });
    assert.deepEqual((await readSessions(root)).map((s) => s.user), ['bob']);
  });

  it('is no session without the directory (no logind, a container) or with an empty one', async () => {
    assert.deepEqual(await readSessions(root), []);
    await rm(join(root, 'run'), { recursive: true });
    assert.deepEqual(await readLogindSessions(root), []);
    assert.deepEqual(await readSessions(root), []);
    await writeFile(join(root, 'run'), 'not a directory');
    assert.deepEqual(await readSessions(root), []);
  });

  it('fails when the directory exists but cannot be listed', async () => {
    // A symbolic link to itself: ELOOP, which must not read as "nobody logged in".
    await rm(join(root, LOGIND_SESSIONS_DIR), { recursive: true });
    await symlink(join(root, LOGIND_SESSIONS_DIR), join(root, LOGIND_SESSIONS_DIR));
    await assert.rejects(readSessions(root), { code: 'ELOOP' });
  });

  it('reads past logind\'s FIFOs without waiting on them', { timeout: 10_000 }, async (t) => {
    try {
      execFileSync('mkfifo', [join(root, LOGIND_SESSIONS_DIR, '3.ref'), join(root, LOGIND_SESSIONS_DIR, '4')]);
    } catch {
      t.skip('no mkfifo');
      return;
    }
    await putSessions(root, { '3': SSH });
    assert.deepEqual((await readSessions(root)).map((s) => s.user), ['alice']);
  });

  it('skips a subdirectory or a session file that cannot be parsed', async () => {
    await mkdir(join(root, LOGIND_SESSIONS_DIR, '14'));
    await putSessions(root, { '3': SSH, '15': 'USER=eve\nLEADER=\n' });
    assert.deepEqual((await readSessions(root)).map((s) => s.user), ['alice']);
  });
});

describe('logindSessionOf', () => {
  let root = '';
  beforeEach(async () => {
    root = await rootWith([5000, 5001, 5002]);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('reads the session from the process\'s cgroup, v2 or v1', async () => {
    await writeFile(join(root, 'proc/5000/cgroup'), '0::/user.slice/user-1000.slice/session-3.scope\n');
    await writeFile(join(root, 'proc/5001/cgroup'), '12:pids:/user.slice/user-1000.slice/session-c4.scope\n1:name=systemd:/user.slice/user-1000.slice/session-c4.scope\n0::/user.slice/user-1000.slice/session-c4.scope\n');
    await writeFile(join(root, 'proc/5002/cgroup'), '0::/system.slice/ssh.service\n');
    assert.equal(await logindSessionOf(root, 5000), '3');
    assert.equal(await logindSessionOf(root, 5001), 'c4');
    assert.equal(await logindSessionOf(root, 5002), undefined);
    assert.equal(await logindSessionOf(root, 6000), undefined, 'gone');
  });
});

describe('mergeSessions', () => {
  const at = new Date(1_700_000_000_000);
  const utmp = (pid: number, user: string, line: string, session?: string): LoginSession => ({ user, line, host: '', pid, loginTime: at, source: 'utmp', ...(session === undefined ? {} : { session }) });
  const logind = (pid: number, user: string, line: string, session: string): LoginSession => ({ user, line, host: '', pid, loginTime: at, source: 'logind', session, service: 'sshd' });

  it('keeps utmp\'s record of a login both list, with the logind session id and type', () => {
    // login(1) records itself in utmp and is the logind leader.
    assert.deepEqual(mergeSessions([utmp(700, 'bob', 'tty1')], [logind(700, 'bob', 'tty1', '1')]), [utmp(700, 'bob', 'tty1', '1')]);
    // The same terminal and user, another pid.
    assert.deepEqual(mergeSessions([utmp(701, 'bob', 'tty1')], [logind(700, 'bob', 'tty1', '1')]), [utmp(701, 'bob', 'tty1', '1')]);
    // A desktop: its utmp record learns that it is one, so it is asked logind's idle hint.
    const desktop: LoginSession = { ...logind(900, 'carol', ':0', '7'), type: 'x11' };
    assert.deepEqual(mergeSessions([utmp(900, 'carol', ':0')], [desktop]), [{ ...utmp(900, 'carol', ':0', '7'), type: 'x11' }]);
    // sshd records the shell in utmp; logind, the sshd process, with no terminal: the same session scope.
    assert.deepEqual(mergeSessions([utmp(5000, 'alice', 'pts/0', '3')], [logind(4242, 'alice', '', '3')]), [utmp(5000, 'alice', 'pts/0', '3')]);
  });

  it('keeps logins that only one of them lists, utmp\'s first', () => {
    const merged = mergeSessions([utmp(5000, 'alice', 'pts/0', '3'), utmp(5100, 'carol', 'pts/1')], [logind(4242, 'alice', '', '3'), logind(4300, 'root', '', '5'), logind(702, 'eve', 'tty1', '6')]);
    assert.deepEqual(merged.map((s) => `${s.source} ${s.user}`), ['utmp alice', 'utmp carol', 'logind root', 'logind eve']);
  });

  it('does not take an unknown terminal or another user on the same terminal for the same login', () => {
    assert.equal(mergeSessions([utmp(5000, 'alice', '')], [logind(4242, 'alice', '', '3')]).length, 2);
    assert.equal(mergeSessions([utmp(5000, 'alice', 'tty1')], [logind(4242, 'bob', 'tty1', '3')]).length, 2);
    assert.equal(mergeSessions([utmp(5000, 'alice', 'pts/0', '4')], [logind(4242, 'alice', '', '3')]).length, 2);
  });

  it('is either list when the other is empty', () => {
    assert.deepEqual(mergeSessions([], [logind(4242, 'alice', '', '3')]), [logind(4242, 'alice', '', '3')]);
    assert.deepEqual(mergeSessions([utmp(5000, 'alice', 'pts/0')], []), [utmp(5000, 'alice', 'pts/0')]);
  });
});

describe('readSessions with both utmp and logind (systemd before 256)', () => {
  let root = '';
  beforeEach(async () => {
    // 5000: alice's shell, which sshd recorded in utmp; 4242: the sshd process that opened her logind session.
    root = await rootWith([700, 4242, 5000, 4300]);
    await mkdir(join(root, 'run'), { recursive: true });
    await writeFile(join(root, 'proc/5000/cgroup'), '0::/user.slice/user-1000.slice/session-3.scope\n');
    await writeFile(join(root, 'proc/700/cgroup'), '0::/user.slice/user-1001.slice/session-1.scope\n');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('lists each login once', async () => {
    await writeFile(join(root, 'run/utmp'), Buffer.concat([utmpRecord(5000, 'alice', 'pts/0', '10.0.0.5'), utmpRecord(700, 'bob', 'tty1', '')]));
    // root ran `ssh host command`: no terminal, so no utmp record, only logind's.
    await putSessions(root, { '3': SSH, '1': TTY, '5': ROOT_SSH });
    const sessions = await readSessions(root);
    assert.deepEqual(sessions.map(describeSession), ['alice on pts/0 from 10.0.0.5', 'bob on tty1', 'root via sshd from 10.0.0.5']);
    assert.deepEqual(sessions.map((s) => [s.source, s.session]), [['utmp', '3'], ['utmp', '1'], ['logind', '5']]);
  });

  it('still counts the logind session when the utmp record\'s process is gone', async () => {
    await writeFile(join(root, 'run/utmp'), utmpRecord(5000, 'alice', 'pts/0', '10.0.0.5'));
    await putSessions(root, { '3': SSH });
    await rm(join(root, 'proc/5000'), { recursive: true });
    assert.deepEqual((await readSessions(root)).map(describeSession), ['alice via sshd from 10.0.0.5']);
  });
});

describe('IdleSampler over a machine without utmp', () => {
  let root = '';
  beforeEach(async () => {
    root = await rootWith([]);
    await cp(join(REPO_ROOT, 'test/fixtures/proc/vm'), root, { recursive: true });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const sessionsReading = async () => {
    const readings = await new IdleSampler({ root, thresholds: DEFAULT_IDLE_THRESHOLDS, checks: [], toolPath: '' }).sample();
    const found = readings.find((r) => r.signal === 'sessions');
    assert.ok(found);
    return found;
  };

  it('keeps the machine up while someone is logged in, and names them', async () => {
    // alice logged in with login(1) on a pseudo-terminal, from 10.0.0.5 (telnetd, `login -h`).
    const remoteLogin = TTY.replace('USER=bob', 'USER=alice').replace('UID=1001', 'UID=1000').replace('TTY=tty1', 'TTY=pts/0')
      .replace('REMOTE=0', 'REMOTE=1').replace('SERVICE=login', 'REMOTE_HOST=10.0.0.5\nSERVICE=login').replace('LEADER=700', 'LEADER=4242');
    await putSessions(root, { '3': remoteLogin, c1: GREETER, c2: MANAGER });
    for (const pid of [4242, 1100, 4250]) await mkdir(join(root, 'proc', String(pid)));
    const one = await sessionsReading();
    // No pts/0 under this root: her input cannot be known, so her session counts.
    assert.deepEqual({ ...one, sessions: undefined }, { signal: 'sessions', value: 1, threshold: 0, unit: 'sessions', busy: true, detail: 'alice on pts/0 from 10.0.0.5 (idle ?)', sessions: undefined });
    assert.deepEqual(one.sessions, [
      {
        user: 'alice',
        line: 'pts/0',
        host: '10.0.0.5',
        service: 'login',
        type: 'tty',
        session: '3',
        source: 'logind',
        loginTime: '2023-11-14T22:16:40.000Z',
        idleSeconds: null,
        idleFrom: null,
        counted: true,
      },
    ]);

    await putSessions(root, { '6': ROOT_SSH });
    await mkdir(join(root, 'proc/4300'));
    const two = await sessionsReading();
    assert.deepEqual([two.value, two.detail], [2, 'alice on pts/0 from 10.0.0.5 (idle ?), root via sshd from 10.0.0.5 (idle ?)']);

    // alice logs out: logind marks the session closing, then removes it; root's sshd dies.
    await putSessions(root, { '3': remoteLogin.replace('STATE=active', 'STATE=closing') });
    await rm(join(root, 'proc/4300'), { recursive: true });
    const none = await sessionsReading();
    assert.deepEqual([none.value, none.busy, none.detail], [0, false, undefined]);
  });

  it('is busy, with the reason, when the session directory cannot be read', async () => {
    await rm(join(root, LOGIND_SESSIONS_DIR), { recursive: true });
    await symlink(join(root, LOGIND_SESSIONS_DIR), join(root, LOGIND_SESSIONS_DIR));
    const reading = await sessionsReading();
    assert.deepEqual([reading.value, reading.busy], [null, true]);
    assert.match(reading.detail ?? '', /ELOOP.*sessions/);
  });
});
