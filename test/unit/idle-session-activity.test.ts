// Session input idle time on real terminals: a pseudo-terminal the test
// opens (test/helpers/pty.ts), recorded in a utmp the test writes under a
// fixture root whose dev/ is the machine's /dev, so the reader stats the real
// device. And logind's desktop sessions: their session files under the
// fixture root, their idle hints from loginctl (a fake one on the PATH).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { IdleSampler } from '../../src/daemon/idle/sampler.js';
import { DEFAULT_IDLE_THRESHOLDS } from '../../src/daemon/idle/settings.js';
import type { SignalReading } from '../../src/daemon/idle/status.js';
import { parseIdleHints } from '../../src/daemon/idle/signals/logind-idle.js';
import { LOGIND_SESSIONS_DIR } from '../../src/daemon/idle/signals/logind.js';
import { terminalDevice } from '../../src/daemon/idle/signals/session-activity.js';
import { USER_PROCESS, UTMP_RECORD_BYTES } from '../../src/daemon/idle/signals/sessions.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { PtySession } from '../helpers/pty.js';

const FAKE_BIN = join(REPO_ROOT, 'test/fixtures/bin');
const MINUTE = 60_000;

function utmpRecord(pid: number, user: string, line: string, host = ''): Buffer {
  const b = Buffer.alloc(UTMP_RECORD_BYTES);
  b.writeInt16LE(USER_PROCESS, 0);
  b.writeInt32LE(pid, 4);
  b.write(line, 8, 32);
  b.write(user, 44, 32);
  b.write(host, 76, 256);
  b.writeUInt32LE(Math.floor(Date.now() / 1000), 340);
  return b;
}

/** A fixture root: the VM's /proc files, the machine's /dev, and the processes the test names alive. */
async function fixtureRoot(t: TestContext, alive: readonly number[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'snoozebot-tty-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'run'), { recursive: true });
  await symlink('/dev', join(root, 'dev'));
  for (const pid of alive) await mkdir(join(root, 'proc', String(pid)), { recursive: true });
  return root;
}

function sessionsOf(readings: readonly SignalReading[]): SignalReading {
  const found = readings.find((r) => r.signal === 'sessions');
  assert.ok(found, `no sessions reading in ${JSON.stringify(readings)}`);
  return found;
}

describe('terminal sessions: idle time from the terminal\'s access time, as w computes it', () => {
  it('a real pty: busy while its input is recent, idle once older than sessionIdleMs, busy again when someone types', async (t) => {
    const pty = await PtySession.open(t);
    const root = await fixtureRoot(t, [pty.pid]);
    await writeFile(join(root, 'run/utmp'), utmpRecord(pty.pid, 'alice', pty.line, '10.0.0.5'));
    const sampler = new IdleSampler({ root, thresholds: DEFAULT_IDLE_THRESHOLDS, checks: [], toolPath: '', sessionIdleMs: MINUTE });

    // Last key 5 s ago.
    const recent = (Date.now() - 5_000) / 1000;
    await utimes(pty.device, recent, recent);
    let reading = sessionsOf(await sampler.sample());
    assert.deepEqual([reading.value, reading.busy], [1, true]);
    const [session] = reading.sessions ?? [];
    assert.ok(session);
    assert.deepEqual([session.user, session.line, session.idleFrom, session.counted], ['alice', pty.line, 'tty', true]);
    assert.ok(session.idleSeconds !== null && session.idleSeconds >= 5 && session.idleSeconds < 15, `idle ${session.idleSeconds} s`);
    assert.match(reading.detail ?? '', new RegExp(`^alice on ${pty.line} from 10\\.0\\.0\\.5 \\(idle \\d+s\\)$`));

    // Last key two minutes ago: longer than sessionIdleMs, so the session no longer keeps the machine up.
    const old = (Date.now() - 2 * MINUTE) / 1000;
    await utimes(pty.device, old, old);
    reading = sessionsOf(await sampler.sample());
    assert.deepEqual([reading.value, reading.busy, reading.sessions?.[0]?.counted], [0, false, false]);
    assert.equal(reading.detail, '1 more without input for over 1m00s, not counted');

    // Someone types: cat reads the keys and the kernel moves the terminal's access time.
    pty.type('ls -l\n');
    const deadline = Date.now() + 10_000;
    while (pty.accessMs() < Date.now() - MINUTE) {
      assert.ok(Date.now() < deadline, 'typing never moved the terminal\'s access time');
      await delay(20);
    }
    reading = sessionsOf(await sampler.sample());
    assert.deepEqual([reading.value, reading.busy, reading.sessions?.[0]?.counted], [1, true, true]);
    // The kernel keeps a terminal's time in 8-second steps.
    assert.ok((reading.sessions?.[0]?.idleSeconds ?? 99) < 10);
  });

  it('with sessionIdleMs null every live session counts, however old its input', async (t) => {
    const pty = await PtySession.open(t);
    const root = await fixtureRoot(t, [pty.pid]);
    await writeFile(join(root, 'run/utmp'), utmpRecord(pty.pid, 'bob', pty.line));
    const old = (Date.now() - 3 * 3_600_000) / 1000;
    await utimes(pty.device, old, old);
    const reading = sessionsOf(await new IdleSampler({ root, thresholds: DEFAULT_IDLE_THRESHOLDS, checks: [], toolPath: '', sessionIdleMs: null }).sample());
    assert.deepEqual([reading.value, reading.busy, reading.sessions?.[0]?.counted], [1, true, true]);
    assert.match(reading.detail ?? '', /^bob on pts\/\d+ \(idle 3h00m\)$/);
  });

  it('only plain device names are looked up under /dev', () => {
    assert.equal(terminalDevice('pts/3'), 'pts/3');
    assert.equal(terminalDevice('/dev/tty1'), 'tty1');
    assert.equal(terminalDevice(':0'), undefined);
    assert.equal(terminalDevice('../etc/shadow'), undefined);
    assert.equal(terminalDevice('pts/../../etc'), undefined);
    assert.equal(terminalDevice(''), undefined);
  });
});

/** A desktop session as logind writes its file: GNOME on Wayland on seat0, and a console login beside it. */
const DESKTOP = `# This is private data. Do not parse.
UID=1000
USER=carol
ACTIVE=1
IS_DISPLAY=1
STATE=active
REMOTE=0
TYPE=wayland
ORIGINAL_TYPE=wayland
CLASS=user
SCOPE=session-7.scope
SEAT=seat0
TTY=tty2
SERVICE=gdm-password
DESKTOP=GNOME
VTNR=2
LEADER=5100
REALTIME=1700000100250123
`;
const CONSOLE = DESKTOP.replace('USER=carol', 'USER=dave').replace('TYPE=wayland', 'TYPE=tty').replace('ORIGINAL_TYPE=wayland', 'ORIGINAL_TYPE=tty')
  .replace('session-7', 'session-8').replace('TTY=tty2', 'TTY=tty3').replace('SERVICE=gdm-password', 'SERVICE=login').replace('LEADER=5100', 'LEADER=5200');

describe("desktop sessions: logind's idle hint", () => {
  async function desktopRoot(t: TestContext): Promise<string> {
    const root = await fixtureRoot(t, [5100, 5200]);
    await mkdir(join(root, LOGIND_SESSIONS_DIR), { recursive: true });
    await writeFile(join(root, LOGIND_SESSIONS_DIR, '7'), DESKTOP);
    return root;
  }

  const sample = async (root: string, env: Record<string, string>) => {
    const sampler = new IdleSampler({ root, thresholds: DEFAULT_IDLE_THRESHOLDS, checks: [], toolPath: FAKE_BIN, toolEnv: { PATH: process.env.PATH, ...env }, sessionIdleMs: 30 * MINUTE });
    try {
      return sessionsOf(await sampler.sample());
    } finally {
      // The fake nvidia-smi beside the fake loginctl was started too.
      sampler.close();
    }
  };
  const micros = (ms: number) => String(ms * 1000);

  it('idle since the hint says: not counted after sessionIdleMs; only desktops are asked about', async (t) => {
    const root = await desktopRoot(t);
    // dave's console login: a terminal session, its time comes from tty3, never from loginctl.
    await writeFile(join(root, LOGIND_SESSIONS_DIR, '8'), CONSOLE);
    const asked = join(root, 'asked');
    const reading = await sample(root, { FAKE_LOGINCTL_OUTPUT: `Id=7\nIdleHint=yes\nIdleSinceHint=${micros(Date.now() - 2 * 3_600_000)}`, FAKE_LOGINCTL_ARGS_FILE: asked });
    const carol = reading.sessions?.find((s) => s.user === 'carol');
    assert.ok(carol);
    assert.deepEqual([carol.type, carol.idleFrom, carol.counted], ['wayland', 'logind', false]);
    assert.ok(carol.idleSeconds !== null && Math.abs(carol.idleSeconds - 7200) <= 5);
    assert.deepEqual((await readFile(asked, 'utf8')).trim(), '7', 'one loginctl call, for the desktop only');
  });

  it('IdleHint=no: someone is at the desktop now; never set (0): unknown, so counted', async (t) => {
    const root = await desktopRoot(t);
    const active = (await sample(root, { FAKE_LOGINCTL_OUTPUT: `Id=7\nIdleHint=no\nIdleSinceHint=${micros(Date.now() - 3 * 3_600_000)}` })).sessions?.[0];
    assert.deepEqual([active?.idleSeconds, active?.idleFrom, active?.counted], [0, 'logind', true]);
    const never = (await sample(root, { FAKE_LOGINCTL_OUTPUT: 'Id=7\nIdleHint=no\nIdleSinceHint=0' })).sessions?.[0];
    assert.deepEqual([never?.idleSeconds, never?.idleFrom, never?.counted], [null, null, true]);
  });

  it('loginctl failing leaves the desktop counted: never stopped on missing evidence', async (t) => {
    const root = await desktopRoot(t);
    const reading = await sample(root, { FAKE_LOGINCTL_STDERR: 'Failed to connect to bus: No such file or directory', FAKE_LOGINCTL_EXIT: '1' });
    assert.deepEqual([reading.value, reading.busy, reading.sessions?.[0]?.idleSeconds], [1, true, null]);
  });

  it('parses loginctl show-session blocks', () => {
    const hints = parseIdleHints('Id=7\nIdleHint=yes\nIdleSinceHint=1700000100250123\n\nIdleHint=no\nId=9\nIdleSinceHint=0\n\nIdleHint=yes\n');
    assert.deepEqual([...hints.entries()], [
      ['7', { idle: true, sinceMs: 1_700_000_100_250 }],
      ['9', { idle: false, sinceMs: undefined }],
    ]);
  });
});
