// Telling a cookie refusal from other stderr: go-plugin's notice names no
// cookie, so seeing it after a start *with* our cookie means the plugin wants
// another application's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GO_PLUGIN_COOKIE_NOTICE, NOT_A_PLUGIN_MESSAGE, chooseVersion, recognizeCookieNotice } from '../../src/handshake/index.js';

describe('recognizeCookieNotice', () => {
  it("finds go-plugin's three-line notice", () => {
    const lines = [
      'This binary is a plugin. These are not meant to be executed directly.',
      'Please execute the program that consumes these plugins, which will',
      'load any plugins automatically',
    ];
    assert.equal(recognizeCookieNotice(lines), 'go-plugin');
    assert.equal(recognizeCookieNotice(['2024/01/02 03:04:05 provider version 1.2', lines[0] as string]), 'go-plugin');
    assert.equal(lines[0], GO_PLUGIN_COOKIE_NOTICE);
  });

  it("finds our SDK's notice", () => {
    assert.equal(recognizeCookieNotice(NOT_A_PLUGIN_MESSAGE.trimEnd().split('\n')), 'snoozebot');
  });

  it('anything else is no notice, the last fragment of one included', () => {
    assert.equal(recognizeCookieNotice([]), undefined);
    assert.equal(recognizeCookieNotice(['cannot read /nonexistent/credentials']), undefined);
    assert.equal(recognizeCookieNotice(['load any plugins automatically']), undefined);
  });
});

describe('chooseVersion (plugin side, like go-plugin server.go)', () => {
  it('the highest shared version', () => {
    assert.deepEqual(chooseVersion('1,2', [1, 2, 3]), { version: 2 });
    assert.deepEqual(chooseVersion(undefined, [1]), { version: 1 });
  });

  it('no shared version: our lowest anyway, with the reason for the log', () => {
    const choice = chooseVersion('2', [1]);
    assert.equal(choice.version, 1);
    assert.equal(choice.mismatch?.code, 'VERSIONS_NO_MATCH');
    assert.match(choice.mismatch?.message ?? '', /PLUGIN_PROTOCOL_VERSIONS: saw "2", expected one of the plugin's versions \[1\]/);
    assert.equal(chooseVersion('7,8', [3, 1, 2]).version, 1);
  });

  it('a host list that is no list still throws', () => {
    assert.throws(() => chooseVersion('x', [1]), (e: Error & { code?: string }) => e.code === 'VERSIONS_INVALID');
  });
});
