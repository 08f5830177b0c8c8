// The CloudProvider API version rule: the Go snoozebot's version.IsCompatible
// (same major, plugin minor not above the host's), plus the two answers that
// are not semantic versions and still load ("1" of our earlier plugins, no
// GetAPIVersion at all).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  API_VERSION,
  UNVERSIONED_TEXT,
  isApiCompatible,
  judgeApiVersion,
  parseApiVersion,
} from '../../src/handshake/index.js';

describe('parseApiVersion', () => {
  it('reads MAJOR.MINOR and MAJOR.MINOR.PATCH', () => {
    assert.deepEqual(parseApiVersion('0.1.0'), { major: 0, minor: 1, patch: 0 });
    assert.deepEqual(parseApiVersion('2.3'), { major: 2, minor: 3, patch: 0 });
    assert.deepEqual(parseApiVersion('10.20.30'), { major: 10, minor: 20, patch: 30 });
  });

  it('refuses what is not one, as the Go snoozebot does for "1" ("invalid version format")', () => {
    for (const text of ['1', '', '1.2.3.4', 'a.b', '1.x', '1..2', '-1.0', '+1.0', ' 1.0', '1.0-rc1', 'v1.0']) {
      assert.equal(parseApiVersion(text), undefined, text);
    }
  });
});

describe('isApiCompatible', () => {
  const host = { major: 0, minor: 1, patch: 0 };
  it('same major and a plugin minor not above the host one', () => {
    assert.equal(isApiCompatible({ major: 0, minor: 1, patch: 7 }, host), true);
    assert.equal(isApiCompatible({ major: 0, minor: 0, patch: 0 }, host), true);
    assert.equal(isApiCompatible({ major: 0, minor: 2, patch: 0 }, host), false);
    assert.equal(isApiCompatible({ major: 1, minor: 0, patch: 0 }, host), false);
  });
});

describe('judgeApiVersion (host side)', () => {
  it('our own plugins answer the API this host speaks, which the Go check accepts', () => {
    assert.equal(API_VERSION, '0.1.0');
    const parsed = parseApiVersion(API_VERSION);
    assert.ok(parsed);
    // The Go snoozebot's CurrentAPIVersion is 0.1.0: our answer must pass its IsCompatible.
    assert.equal(isApiCompatible(parsed, { major: 0, minor: 1, patch: 0 }), true);
    assert.deepEqual(judgeApiVersion('0.1.0'), { kind: 'compatible', version: '0.1.0', text: '0.1.0' });
  });

  it('UNIMPLEMENTED is an unversioned plugin that loads', () => {
    assert.deepEqual(judgeApiVersion(null), { kind: 'unversioned', version: null, text: UNVERSIONED_TEXT });
    assert.equal(UNVERSIONED_TEXT, 'unversioned (plugin does not implement GetAPIVersion)');
    assert.equal(judgeApiVersion('  ').kind, 'unversioned');
  });

  it('the plain "1" of earlier snoozebot plugins loads', () => {
    const verdict = judgeApiVersion('1');
    assert.equal(verdict.kind, 'compatible');
    assert.match(verdict.text, /^1 \(earlier snoozebot plugins; the same API as 0\.1\.0\)$/);
  });

  it('an older minor loads; a newer minor or another major does not, naming both versions', () => {
    assert.equal(judgeApiVersion('0.0.3').kind, 'compatible');
    for (const [answer, fix] of [
      ['0.2.0', /upgrade snoozebot, or rebuild the plugin against an older API/],
      ['1.0.0', /upgrade snoozebot$/],
    ] as const) {
      const verdict = judgeApiVersion(answer);
      assert.equal(verdict.kind, 'incompatible', answer);
      if (verdict.kind !== 'incompatible') continue;
      assert.match(verdict.reason, new RegExp(`^plugin API ${answer.replace(/\./g, '\\.')} is not compatible with this snoozebot's API 0\\.1\\.0`));
      assert.match(verdict.reason, /loads API 0\.0 to 0\.1 \(same major, minor not above its own\)/);
      assert.match(verdict.reason, fix);
    }
    const older = judgeApiVersion('1.0.0', '2.3.0');
    assert.equal(older.kind, 'incompatible');
    if (older.kind === 'incompatible') assert.match(older.reason, /rebuild the plugin against the current API$/);
  });

  it('an answer that is no version is incompatible, quoted and cut', () => {
    const verdict = judgeApiVersion('two');
    assert.equal(verdict.kind, 'incompatible');
    if (verdict.kind === 'incompatible') assert.match(verdict.reason, /^GetAPIVersion answered "two", which is not a version \(expected MAJOR\.MINOR\[\.PATCH\]/);
    const long = judgeApiVersion('x'.repeat(500));
    assert.ok(long.kind === 'incompatible' && long.reason.length < 200, 'a long answer is cut');
  });
});
