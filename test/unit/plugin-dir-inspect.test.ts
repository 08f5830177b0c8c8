import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decidePlugin, isIgnoredName, pluginDirError, PluginDirError } from '../../src/daemon/plugin-dir/index.js';
import type { DirFacts, FileFacts, PluginFacts, Verdict } from '../../src/daemon/plugin-dir/index.js';

const ROOT = 0;
const PATH = '/etc/snoozebot/plugins/aws';
const DIR = '/etc/snoozebot/plugins';

const file = (over: Partial<FileFacts> = {}): FileFacts => ({ isFile: true, isSymlink: false, mode: 0o100755, uid: ROOT, ...over });
const dir = (over: Partial<DirFacts> = {}): DirFacts => ({ mode: 0o40755, uid: ROOT, ...over });
const facts = (over: Partial<PluginFacts> = {}): PluginFacts => ({ path: PATH, file: file(), dir: dir(), ...over });

function reasonOf(verdict: Verdict): string {
  assert.equal(verdict.ok, false, 'expected a refusal');
  return verdict.ok ? '' : verdict.reason;
}

describe('decidePlugin: plain files', () => {
  it('accepts a root-owned 0755 file in a root-owned 0755 directory', () => {
    assert.deepEqual(decidePlugin(facts(), ROOT), { ok: true });
  });

  it("accepts a file owned by the daemon's own (non-root) user", () => {
    const verdict = decidePlugin(facts({ file: file({ uid: 1000, mode: 0o100700 }), dir: dir({ uid: 1000 }) }), 1000);
    assert.deepEqual(verdict, { ok: true });
  });

  it('refuses what is not a regular file', () => {
    const reason = reasonOf(decidePlugin(facts({ file: file({ isFile: false, mode: 0o10644 }) }), ROOT));
    assert.match(reason, /not a regular file/);
    assert.ok(reason.includes(PATH), reason);
  });

  it('refuses a file that is not executable and says to chmod 755 it', () => {
    const reason = reasonOf(decidePlugin(facts({ file: file({ mode: 0o100644 }) }), ROOT));
    assert.match(reason, /not executable/);
    assert.ok(reason.includes(`chmod 755 ${PATH}`), reason);
    assert.match(reason, /mode 0644/);
  });

  it('refuses a root-owned file a non-root daemon may not execute (no x for others)', () => {
    const reason = reasonOf(decidePlugin(facts({ file: file({ mode: 0o100744 }) }), 1000));
    assert.match(reason, /not executable/);
  });

  it('refuses a world-writable file and says chmod o-w', () => {
    const reason = reasonOf(decidePlugin(facts({ file: file({ mode: 0o100777 }) }), ROOT));
    assert.match(reason, /writable by every user/);
    assert.ok(reason.includes(`chmod o-w ${PATH}`), reason);
  });

  it('refuses a file in a world-writable directory', () => {
    const reason = reasonOf(decidePlugin(facts({ dir: dir({ mode: 0o40777 }) }), ROOT));
    assert.ok(reason.includes(`${DIR} is writable by every user`), reason);
    assert.ok(reason.includes(`chmod o-w ${DIR}`), reason);
  });

  it('refuses a file in a world-writable directory even with the sticky bit, and says why', () => {
    const reason = reasonOf(decidePlugin(facts({ dir: dir({ mode: 0o41777 }) }), ROOT));
    assert.match(reason, /sticky bit does not help/);
    assert.match(reason, /mode 1777/);
  });

  it('refuses a file owned by another non-root user and says chown root', () => {
    const reason = reasonOf(decidePlugin(facts({ file: file({ uid: 1234 }) }), ROOT));
    assert.match(reason, /owned by uid 1234/);
    assert.ok(reason.includes(`chown root ${PATH}`), reason);
  });

  it("names the daemon's uid as an allowed owner when the daemon is not root", () => {
    const reason = reasonOf(decidePlugin(facts({ file: file({ uid: 1234 }) }), 1000));
    assert.match(reason, /root or the daemon's user \(uid 1000\)/);
  });

  it('refuses a file whose directory another non-root user owns', () => {
    const reason = reasonOf(decidePlugin(facts({ dir: dir({ uid: 1234 }) }), ROOT));
    assert.ok(reason.includes(`${DIR} is owned by uid 1234`), reason);
    assert.ok(reason.includes(`chown root ${DIR}`), reason);
  });

  it('names every problem at once', () => {
    const reason = reasonOf(decidePlugin(facts({ file: file({ mode: 0o100666, uid: 1234 }), dir: dir({ mode: 0o40777 }) }), ROOT));
    for (const expected of [/owned by uid 1234/, /not executable/, /chmod o-w \/etc\/snoozebot\/plugins\/aws/, /chmod o-w \/etc\/snoozebot\/plugins, or use another directory/]) {
      assert.match(reason, expected);
    }
  });
});

describe('decidePlugin: symlinks', () => {
  const link = file({ isFile: false, isSymlink: true, mode: 0o120777 });
  const TARGET = '/opt/vendor/bin/aws-plugin';

  it('accepts a symlink whose target and target directory pass, and names the target', () => {
    const verdict = decidePlugin(facts({ file: link, target: { path: TARGET, file: file(), dir: dir() } }), ROOT);
    assert.deepEqual(verdict, { ok: true, target: TARGET });
  });

  it('refuses a symlink to a non-executable target, naming both', () => {
    const reason = reasonOf(decidePlugin(facts({ file: link, target: { path: TARGET, file: file({ mode: 0o100644 }), dir: dir() } }), ROOT));
    assert.ok(reason.includes(`${PATH} is a symlink to ${TARGET}`), reason);
    assert.ok(reason.includes(`chmod 755 ${TARGET}`), reason);
  });

  it("refuses a symlink whose target's directory is world-writable", () => {
    const reason = reasonOf(decidePlugin(facts({ file: link, target: { path: TARGET, file: file(), dir: dir({ mode: 0o41777 }) } }), ROOT));
    assert.ok(reason.includes('chmod o-w /opt/vendor/bin'), reason);
  });

  it('refuses a symlink whose target another user owns', () => {
    const reason = reasonOf(decidePlugin(facts({ file: link, target: { path: TARGET, file: file({ uid: 4321 }), dir: dir() } }), ROOT));
    assert.match(reason, /owned by uid 4321/);
  });

  it('refuses a symlink to a directory-like non-file target', () => {
    const reason = reasonOf(decidePlugin(facts({ file: link, target: { path: TARGET, file: file({ isFile: false }), dir: dir() } }), ROOT));
    assert.match(reason, /not a regular file/);
  });

  it('refuses a dangling symlink', () => {
    const reason = reasonOf(decidePlugin(facts({ file: link, target: { path: '../gone', missing: true } }), ROOT));
    assert.ok(reason.includes(`${PATH} is a symlink to ../gone, which does not exist`), reason);
  });

  it('checks the directory holding the link itself', () => {
    const reason = reasonOf(decidePlugin(facts({ file: link, dir: dir({ mode: 0o40777 }), target: { path: TARGET, file: file(), dir: dir() } }), ROOT));
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
