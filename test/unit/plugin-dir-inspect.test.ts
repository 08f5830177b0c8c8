import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isExecutableFormat, isIgnoredName, judgeWalk, pluginDirError, PluginDirError } from '../../src/daemon/plugin-dir/index.js';
import type { PluginWalk, Verdict, WalkEnd, WalkStep } from '../../src/daemon/plugin-dir/index.js';

const ROOT = 0;
const STAFF = 50;
const PATH = '/etc/snoozebot/plugins/aws';
const DIR = '/etc/snoozebot/plugins';
const SHEBANG = new Uint8Array([0x23, 0x21, 0x2f, 0x62]); // "#!/b"
const ELF = new Uint8Array([0x7f, 0x45, 0x4c, 0x46]);

type Over = Partial<Omit<WalkStep, 'path'>>;
const dir = (path: string, over: Over = {}): WalkStep => ({ path, kind: 'directory', uid: ROOT, gid: ROOT, mode: 0o40755, role: 'ancestor', viaLink: false, ...over });
const file = (path: string, over: Over = {}): WalkStep => ({ path, kind: 'file', uid: ROOT, gid: ROOT, mode: 0o100755, role: 'file', viaLink: false, ...over });
const link = (path: string, over: Over = {}): WalkStep => ({ path, kind: 'symlink', uid: ROOT, gid: ROOT, mode: 0o120777, role: 'link', viaLink: false, ...over });
const reached = (realPath: string, head: Uint8Array = SHEBANG): WalkEnd => ({ kind: 'reached', realPath, head });

/** /etc/snoozebot/plugins/aws, a plain file, with the steps overridden by path. */
function plainWalk(over: Record<string, Over> = {}, head: Uint8Array = SHEBANG): PluginWalk {
  return {
    entry: PATH,
    steps: [
      dir('/', over['/']),
      dir('/etc', over['/etc']),
      dir('/etc/snoozebot', over['/etc/snoozebot']),
      dir(DIR, { role: 'plugins-dir', ...over[DIR] }),
      file(PATH, over[PATH]),
    ],
    end: reached(PATH, head),
  };
}

const TARGET = '/opt/vendor/bin/aws-plugin';

/** /etc/snoozebot/plugins/aws -> /opt/vendor/bin/aws-plugin. */
function linkWalk(over: Record<string, Over> = {}): PluginWalk {
  return {
    entry: PATH,
    steps: [
      dir('/', over['/']),
      dir('/etc', over['/etc']),
      dir('/etc/snoozebot', over['/etc/snoozebot']),
      dir(DIR, { role: 'plugins-dir', ...over[DIR] }),
      link(PATH, over[PATH]),
      dir('/opt', { viaLink: true, ...over['/opt'] }),
      dir('/opt/vendor', { viaLink: true, ...over['/opt/vendor'] }),
      dir('/opt/vendor/bin', { viaLink: true, ...over['/opt/vendor/bin'] }),
      file(TARGET, { viaLink: true, ...over[TARGET] }),
    ],
    end: reached(TARGET),
  };
}

function reasonOf(verdict: Verdict): string {
  assert.equal(verdict.ok, false, 'expected a refusal');
  return verdict.ok ? '' : verdict.reason;
}

describe('judgeWalk: the file', () => {
  it('accepts a root-owned 0755 script in root-owned 0755 directories', () => {
    assert.deepEqual(judgeWalk(plainWalk(), ROOT), { ok: true });
  });

  it('accepts an ELF binary', () => {
    assert.deepEqual(judgeWalk(plainWalk({}, ELF), ROOT), { ok: true });
  });

  it("accepts a file owned by the daemon's own (non-root) user", () => {
    const verdict = judgeWalk(plainWalk({ [PATH]: { uid: 1000, mode: 0o100700 }, [DIR]: { uid: 1000 } }), 1000);
    assert.deepEqual(verdict, { ok: true });
  });

  it('refuses what is not a regular file', () => {
    const reason = reasonOf(judgeWalk({ ...plainWalk({ [PATH]: { kind: 'other', mode: 0o10644 } }), end: reached(PATH, new Uint8Array()) }, ROOT));
    assert.match(reason, /not a regular file/);
    assert.ok(reason.includes(PATH), reason);
  });

  it('refuses a file that is not executable and says to chmod 755 it', () => {
    const reason = reasonOf(judgeWalk(plainWalk({ [PATH]: { mode: 0o100644 } }), ROOT));
    assert.match(reason, /not executable/);
    assert.ok(reason.includes(`chmod 755 ${PATH}`), reason);
    assert.match(reason, /mode 0644/);
  });

  it('refuses a root-owned file a non-root daemon may not execute (no x for others)', () => {
    const reason = reasonOf(judgeWalk(plainWalk({ [PATH]: { mode: 0o100744 } }), 1000));
    assert.match(reason, /not executable/);
  });

  it('refuses a world-writable file and says chmod o-w', () => {
    const reason = reasonOf(judgeWalk(plainWalk({ [PATH]: { mode: 0o100777 } }), ROOT));
    assert.match(reason, /writable by every user/);
    assert.ok(reason.includes(`chmod o-w ${PATH}`), reason);
  });

  it('refuses a file writable by a group other than root\'s (root:staff 0775), and says chmod g-w', () => {
    const reason = reasonOf(judgeWalk(plainWalk({ [PATH]: { mode: 0o100775, gid: STAFF } }), ROOT));
    assert.equal(reason, `${PATH} is writable by its group (gid 50, mode 0775), so any member could change what the daemon runs; chmod g-w ${PATH}`);
  });

  it("accepts a group-writable file whose group is root's", () => {
    assert.deepEqual(judgeWalk(plainWalk({ [PATH]: { mode: 0o100775, gid: ROOT } }), ROOT), { ok: true });
  });

  it('refuses a file owned by another non-root user and says chown root', () => {
    const reason = reasonOf(judgeWalk(plainWalk({ [PATH]: { uid: 1234 } }), ROOT));
    assert.match(reason, /owned by uid 1234/);
    assert.ok(reason.includes(`chown root ${PATH}`), reason);
  });

  it("names the daemon's uid as an allowed owner when the daemon is not root", () => {
    const reason = reasonOf(judgeWalk(plainWalk({ [PATH]: { uid: 1234 } }), 1000));
    assert.match(reason, /root or the daemon's user \(uid 1000\)/);
  });

  it('refuses an empty file: not a script with #! or an ELF binary', () => {
    const reason = reasonOf(judgeWalk(plainWalk({}, new Uint8Array()), ROOT));
    assert.equal(reason, `${PATH} is not a script with #! or an ELF binary (it is empty); the kernel cannot run it, so the daemon does not hand it to a shell either`);
  });

  it('refuses a script without #!, showing how it starts', () => {
    const reason = reasonOf(judgeWalk(plainWalk({}, new Uint8Array(Buffer.from('echo'))), ROOT));
    assert.match(reason, /not a script with #! or an ELF binary \(it starts with "echo"\)/);
    const binary = reasonOf(judgeWalk(plainWalk({}, new Uint8Array([0x7f, 0x45, 0x00, 0x01])), ROOT));
    assert.match(binary, /not a script with #! or an ELF binary \(it starts with bytes 7f450001\)/);
  });

  it('knows the two formats the kernel runs', () => {
    assert.equal(isExecutableFormat(SHEBANG), true);
    assert.equal(isExecutableFormat(ELF), true);
    assert.equal(isExecutableFormat(new Uint8Array([0x23])), false);
    assert.equal(isExecutableFormat(new Uint8Array([0x7f, 0x45, 0x4c])), false);
  });
});

describe('judgeWalk: every directory up to /', () => {
  it('refuses a file in a world-writable plugins directory', () => {
    const reason = reasonOf(judgeWalk(plainWalk({ [DIR]: { mode: 0o40777 } }), ROOT));
    assert.ok(reason.includes(`${DIR} is writable by every user`), reason);
    assert.ok(reason.includes(`chmod o-w ${DIR}`), reason);
  });

  it('refuses a sticky world-writable plugins directory, and says why the sticky bit does not help', () => {
    const reason = reasonOf(judgeWalk(plainWalk({ [DIR]: { mode: 0o41777 } }), ROOT));
    assert.match(reason, /sticky bit does not help/);
    assert.match(reason, /mode 1777/);
  });

  it('refuses a group-writable plugins directory (root:staff 0775): a member could plant a symlink', () => {
    const reason = reasonOf(judgeWalk(plainWalk({ [DIR]: { mode: 0o40775, gid: STAFF } }), ROOT));
    assert.equal(reason, `${DIR} is writable by its group (gid 50, mode 0775), so any member could put a plugin there; chmod g-w ${DIR}`);
  });

  it("accepts a group-writable directory whose group is root's", () => {
    assert.deepEqual(judgeWalk(plainWalk({ [DIR]: { mode: 0o40775, gid: ROOT }, '/etc': { mode: 0o42775 } }), ROOT), { ok: true });
  });

  it('checks the directories above the plugins directory, up to /', () => {
    for (const path of ['/', '/etc', '/etc/snoozebot']) {
      const reason = reasonOf(judgeWalk(plainWalk({ [path]: { mode: 0o40757 } }), ROOT));
      assert.ok(reason.startsWith(`${path} is writable by every user (mode 0757)`), reason);
      assert.ok(reasonOf(judgeWalk(plainWalk({ [path]: { uid: 1234 } }), ROOT)).includes(`${path} is owned by uid 1234`));
      assert.ok(reasonOf(judgeWalk(plainWalk({ [path]: { mode: 0o40775, gid: STAFF } }), ROOT)).includes(`chmod g-w ${path}`));
    }
  });

  it('accepts a root-owned sticky ancestor such as /tmp', () => {
    assert.deepEqual(judgeWalk(plainWalk({ '/etc': { mode: 0o41777 } }), ROOT), { ok: true });
  });

  it('refuses a sticky world-writable ancestor that root does not own', () => {
    const reason = reasonOf(judgeWalk(plainWalk({ '/etc': { mode: 0o41777, uid: 1234 } }), ROOT));
    assert.match(reason, /\/etc is owned by uid 1234/);
    assert.match(reason, /\/etc is writable by every user \(mode 1777\) \(the sticky bit only helps in a directory root owns\)/);
  });

  it('refuses a directory whose owner is another non-root user', () => {
    const reason = reasonOf(judgeWalk(plainWalk({ [DIR]: { uid: 1234 } }), ROOT));
    assert.ok(reason.includes(`${DIR} is owned by uid 1234`), reason);
    assert.ok(reason.includes(`chown root ${DIR}`), reason);
  });

  it('names every problem at once', () => {
    const reason = reasonOf(judgeWalk(plainWalk({ [PATH]: { mode: 0o100666, uid: 1234 }, [DIR]: { mode: 0o40777 } }, new Uint8Array()), ROOT));
    for (const expected of [
      /owned by uid 1234/,
      /not executable/,
      /chmod o-w \/etc\/snoozebot\/plugins\/aws/,
      /chmod o-w \/etc\/snoozebot\/plugins, or use another directory/,
      /not a script with #!/,
    ]) {
      assert.match(reason, expected);
    }
  });
});

describe('judgeWalk: symlinks', () => {
  it('accepts a link whose owner, target and every directory above the target pass, and names the target', () => {
    assert.deepEqual(judgeWalk(linkWalk(), ROOT), { ok: true, target: TARGET });
  });

  it("refuses a link another user owns, whatever it points at (the link's owner can retarget it)", () => {
    const reason = reasonOf(judgeWalk(linkWalk({ [PATH]: { uid: 1234 } }), ROOT));
    assert.equal(reason, `${PATH} is a symlink owned by uid 1234, not by root, so that user could point it at another program; chown -h root ${PATH}`);
  });

  it('refuses a link to a non-executable target, naming both', () => {
    const reason = reasonOf(judgeWalk(linkWalk({ [TARGET]: { mode: 0o100644 } }), ROOT));
    assert.ok(reason.includes(`${PATH} is a symlink to ${TARGET}`), reason);
    assert.ok(reason.includes(`chmod 755 ${TARGET}`), reason);
  });

  it("refuses a link whose target's directory is world-writable, even sticky when root does not own it", () => {
    const reason = reasonOf(judgeWalk(linkWalk({ '/opt/vendor/bin': { mode: 0o41777, uid: 1234 } }), ROOT));
    assert.ok(reason.includes('chmod o-w /opt/vendor/bin'), reason);
  });

  it('checks every directory above the target, not only its own', () => {
    const reason = reasonOf(judgeWalk(linkWalk({ '/opt': { mode: 0o40775, gid: STAFF } }), ROOT));
    assert.equal(reason, `${PATH} is a symlink to ${TARGET}: /opt is writable by its group (gid 50, mode 0775), so any member could replace what is in it; chmod g-w /opt`);
  });

  it('accepts a target under a root-owned sticky directory', () => {
    assert.deepEqual(judgeWalk(linkWalk({ '/opt': { mode: 0o41777 } }), ROOT), { ok: true, target: TARGET });
  });

  it('refuses a link whose target another user owns', () => {
    assert.match(reasonOf(judgeWalk(linkWalk({ [TARGET]: { uid: 4321 } }), ROOT)), /owned by uid 4321/);
  });

  it('refuses a dangling link', () => {
    const walk: PluginWalk = { ...linkWalk(), steps: linkWalk().steps.slice(0, 5), end: { kind: 'missing', path: '/gone', link: { path: PATH, target: '../gone' } } };
    assert.equal(reasonOf(judgeWalk(walk, ROOT)), `${PATH} is a symlink to ../gone, which does not exist; fix or remove the link`);
  });

  it('marks a vanished entry as gone (a removal), and a dangling link not', () => {
    const vanished = judgeWalk({ entry: PATH, steps: plainWalk().steps.slice(0, 4), end: { kind: 'missing', path: PATH } }, ROOT);
    assert.deepEqual(vanished, { ok: false, reason: `${PATH} does not exist (any more)`, gone: true });
    const dangling = judgeWalk({ ...linkWalk(), steps: linkWalk().steps.slice(0, 5), end: { kind: 'missing', path: '/gone', link: { path: PATH, target: '../gone' } } }, ROOT);
    assert.equal(dangling.ok === false && dangling.gone, undefined);
  });

  it('refuses a link loop and a path through a file', () => {
    const steps = linkWalk().steps.slice(0, 5);
    assert.match(reasonOf(judgeWalk({ entry: PATH, steps, end: { kind: 'loop', path: PATH } }, ROOT)), /too many levels of symlinks/);
    assert.match(reasonOf(judgeWalk({ entry: PATH, steps, end: { kind: 'not-a-directory', path: '/opt' } }, ROOT)), /\/opt is not a directory/);
  });

  it('checks the directory holding the link itself', () => {
    const reason = reasonOf(judgeWalk(linkWalk({ [DIR]: { mode: 0o40777 } }), ROOT));
    assert.ok(reason.includes(`chmod o-w ${DIR}`), reason);
  });
});

describe('isIgnoredName', () => {
  it('ignores hidden files, editor and backup files, package-manager leftovers', () => {
    for (const name of ['.aws', '.aws.swp', 'aws~', 'aws.swp', 'aws.tmp', 'aws.dpkg-new', 'aws.dpkg-old', 'aws.dpkg-dist', 'aws.rpmnew', 'aws.rpmsave', '']) {
      assert.equal(isIgnoredName(name), true, JSON.stringify(name));
    }
  });

  it('keeps ordinary plugin names', () => {
    for (const name of ['aws', 'snoozebot-aws-plugin', 'gcp.v2', 'azure_1', 'tmp', 'rpm', 'swp-plugin']) {
      assert.equal(isIgnoredName(name), false, name);
    }
  });
});

describe('pluginDirError', () => {
  const errno = (code: string) => Object.assign(new Error(`${code}: failed`), { code });

  it('says how to create a missing directory', () => {
    const error = pluginDirError('/x', errno('ENOENT'));
    assert.ok(error instanceof PluginDirError);
    assert.equal(error.code, 'PLUGINS_DIR_MISSING');
    assert.equal(error.message, 'plugins directory /x does not exist; create it (mkdir -p /x && chmod 755 /x) or pass --plugins-dir');
  });

  it('says the directory is unreadable and what to do', () => {
    const error = pluginDirError('/x', errno('EACCES'));
    assert.equal(error.code, 'PLUGINS_DIR_UNREADABLE');
    assert.match(error.message, /^plugins directory \/x cannot be read by the daemon .*EACCES.*chmod 755 \/x/);
  });

  it('says when the path is not a directory', () => {
    const error = pluginDirError('/x', errno('ENOTDIR'));
    assert.equal(error.code, 'PLUGINS_DIR_NOT_A_DIRECTORY');
    assert.match(error.message, /is not a directory/);
  });
});
