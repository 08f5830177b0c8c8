import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addressProblem, isInside, isLoopback, splitHostPort } from '../../src/host/address-policy.js';

const OFFERED = { socketDir: '/run/snoozebot/t/snoozebot-host-AbC123', portRange: [10_000, 25_000] as const };

describe('addressProblem: unix', () => {
  it('accepts a socket inside the socket directory made for the start, at any depth', () => {
    assert.equal(addressProblem('unix', `${OFFERED.socketDir}/plugin.sock`, OFFERED), undefined);
    assert.equal(addressProblem('unix', `${OFFERED.socketDir}/snoozebot-plugin-x/plugin.sock`, OFFERED), undefined);
  });

  it("refuses another plugin's socket, a path climbing out with .., the directory itself and a relative path", () => {
    for (const address of [
      '/run/snoozebot/t/snoozebot-host-Other1/plugin.sock',
      `${OFFERED.socketDir}/../snoozebot-host-Other1/plugin.sock`,
      `${OFFERED.socketDir}-evil/plugin.sock`,
      OFFERED.socketDir,
      'plugin.sock',
      '/run/snoozebot/snoozebot.sock',
    ]) {
      assert.equal(
        addressProblem('unix', address, OFFERED),
        ` outside the socket directory made for this start (${OFFERED.socketDir}); a plugin must listen in PLUGIN_UNIX_SOCKET_DIR`,
        address,
      );
    }
  });
});

describe('addressProblem: tcp', () => {
  it('accepts loopback addresses with a port in the offered range', () => {
    for (const address of ['127.0.0.1:10000', '127.0.0.1:25000', '127.1.2.3:12345', '[::1]:12345']) {
      assert.equal(addressProblem('tcp', address, OFFERED), undefined, address);
    }
  });

  it('refuses any other host, names and unspecified addresses included', () => {
    for (const address of ['10.9.8.7:12345', '0.0.0.0:12345', 'localhost:12345', 'example.com:12345', '[::]:12345', '[fe80::1]:12345']) {
      assert.match(addressProblem('tcp', address, OFFERED) ?? '', /^ outside loopback: .* is not a loopback IP address/, address);
    }
  });

  it('refuses a port outside the offered range', () => {
    for (const address of ['127.0.0.1:80', '127.0.0.1:9999', '127.0.0.1:25001']) {
      assert.equal(addressProblem('tcp', address, OFFERED), ' outside the port range offered (10000-25000, PLUGIN_MIN_PORT/PLUGIN_MAX_PORT)', address);
    }
  });

  it('refuses what is not host:port', () => {
    for (const address of ['127.0.0.1', '127.0.0.1:', ':12345', '::1:12345', '127.0.0.1:12a']) {
      assert.match(addressProblem('tcp', address, OFFERED) ?? '', /^, which is not host:port/, address);
    }
  });
});

describe('address helpers', () => {
  it('isInside is lexical and excludes the directory itself', () => {
    assert.equal(isInside('/a/b', '/a/b/c'), true);
    assert.equal(isInside('/a/b', '/a/b'), false);
    assert.equal(isInside('/a/b', '/a/bc'), false);
    assert.equal(isInside('/a/b', '/a'), false);
  });

  it('isLoopback knows 127/8 and every spelling of ::1, and resolves no names', () => {
    assert.deepEqual(
      ['127.0.0.1', '127.255.0.9', '::1', '0:0:0:0:0:0:0:1', '10.0.0.1', '128.0.0.1', '::', 'localhost'].map(isLoopback),
      [true, true, true, true, false, false, false, false],
    );
  });

  it('splitHostPort reads host:port and [v6]:port', () => {
    assert.deepEqual(splitHostPort('127.0.0.1:80'), { host: '127.0.0.1', port: 80 });
    assert.deepEqual(splitHostPort('[::1]:80'), { host: '::1', port: 80 });
    assert.equal(splitHostPort('::1:80'), undefined);
  });
});
