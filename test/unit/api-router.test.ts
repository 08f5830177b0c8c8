// Route matching and plugin-name validation, without a server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../src/daemon/api/errors.js';
import { createRouter } from '../../src/daemon/api/router.js';
import { checkBody, checkPluginName, PARAMS, ROUTES } from '../../src/daemon/api/routes.js';
import type { ApiRoute } from '../../src/daemon/api/routes.js';
import { DaemonError } from '../../src/daemon/errors.js';

const router = createRouter(ROUTES, { params: PARAMS });

function found(method: string, target: string) {
  const m = router.match(method, target);
  assert.equal(m.kind, 'found', `${method} ${target}`);
  return m as Extract<typeof m, { kind: 'found' }>;
}

const code = (expected: string) => (error: unknown) => {
  assert.ok(error instanceof ApiError || error instanceof DaemonError, String(error));
  assert.equal(error.code, expected);
  return true;
};

test('every documented route matches, with decoded parameters', () => {
  assert.equal(found('GET', '/v1/status').route.path, '/v1/status');
  assert.equal(found('GET', '/v1/plugins').route.path, '/v1/plugins');
  assert.deepEqual(found('GET', '/v1/plugins/aws').params, { name: 'aws' });
  for (const action of ['load', 'unload', 'restart']) {
    const m = found('POST', `/v1/plugins/my%20plugin/${action}`);
    assert.equal(m.route.path, `/v1/plugins/:name/${action}`);
    assert.deepEqual(m.params, { name: 'my plugin' });
  }
  assert.deepEqual(found('GET', '/v1/instance?plugin=aws').query, { plugin: 'aws' });
  assert.deepEqual(found('GET', '/v1/instances').query, {});
  assert.equal(found('POST', '/v1/instance/stop').route.path, '/v1/instance/stop');
  assert.equal(found('POST', '/v1/instance/start').route.path, '/v1/instance/start');
  assert.equal(found('GET', '/metrics').route.path, '/metrics');
  assert.equal(found('GET', '/healthz').route.path, '/healthz');
});

test('a known path with another method is 405 with the allowed methods', () => {
  assert.deepEqual(router.match('GET', '/v1/plugins/aws/load'), { kind: 'method-not-allowed', allow: ['POST'] });
  assert.deepEqual(router.match('PUT', '/v1/status'), { kind: 'method-not-allowed', allow: ['GET'] });
  assert.deepEqual(router.match('HEAD', '/metrics'), { kind: 'method-not-allowed', allow: ['GET'] });
});

test('unknown paths are not found', () => {
  for (const target of ['/', '/v1', '/v1/', '/v1/status/', '/v2/status', '/v1/plugins/aws/stop', '/v1/PLUGINS', '/v1/instance/stop/now']) {
    assert.deepEqual(router.match('GET', target), { kind: 'not-found' }, target);
  }
});

test('names with a slash (plain or %2F), "..", or a leading dot are PLUGIN_NAME_INVALID', () => {
  for (const target of [
    '/v1/plugins/a%2Fb',
    '/v1/plugins/a%2fb',
    '/v1/plugins/..%2Fetc%2Fpasswd/load',
    '/v1/plugins/..',
    '/v1/plugins/%2E%2E',
    '/v1/plugins/.hidden',
    '/v1/plugins/a..b',
    '/v1/plugins/',
    '/v1/plugins/../etc/load',
    '/v1/plugins/a%00b',
  ]) {
    assert.throws(() => router.match('GET', target), code('PLUGIN_NAME_INVALID'), target);
    assert.throws(() => router.match('POST', target), code('PLUGIN_NAME_INVALID'), target);
  }
});

test('dot segments outside a name, malformed escapes and non-path targets are PATH_INVALID', () => {
  for (const target of ['/v1/../v1/status', '/./healthz', '/v1/plugins/%E0%A4%A', 'http://localhost/v1/status', '*']) {
    assert.throws(() => router.match('GET', target), code('PATH_INVALID'), target);
  }
});

test('query parameters: only the declared ones, once, validated', () => {
  assert.throws(() => router.match('GET', '/v1/status?x=1'), code('QUERY_INVALID'));
  assert.throws(() => router.match('GET', '/v1/instance?plugin=aws&plugin=gcp'), code('QUERY_INVALID'));
  assert.throws(() => router.match('GET', '/v1/instances?provider=aws'), code('QUERY_INVALID'));
  assert.throws(() => router.match('GET', '/v1/instance?plugin=..%2Fx'), code('PLUGIN_NAME_INVALID'));
  assert.throws(() => router.match('GET', '/v1/instance?plugin='), code('PLUGIN_NAME_INVALID'));
  assert.deepEqual(found('GET', '/v1/instance?plugin=my%20aws').query, { plugin: 'my aws' });
});

test('checkPluginName accepts file names and refuses paths', () => {
  for (const ok of ['aws', 'snoozebot-plugin-gcp', 'local.v2', 'a b', 'x'.repeat(255)]) assert.equal(checkPluginName(ok), ok);
  for (const bad of ['', '.', '..', '../x', 'a/b', '/abs', '.hidden', 'a..b', 'x'.repeat(256), 'a\0b']) {
    assert.throws(() => checkPluginName(bad), code('PLUGIN_NAME_INVALID'), JSON.stringify(bad));
  }
});

test('checkBody: declared fields only, each validated', () => {
  const stop = ROUTES.find((r) => r.path === '/v1/instance/stop') as ApiRoute;
  const load = ROUTES.find((r) => r.path === '/v1/plugins/:name/load') as ApiRoute;
  assert.deepEqual(checkBody(stop, {}), {});
  assert.deepEqual(checkBody(stop, { plugin: 'aws' }), { plugin: 'aws' });
  assert.throws(() => checkBody(stop, { plugin: 'aws', force: true }), code('BODY_INVALID'));
  assert.throws(() => checkBody(stop, { plugin: 42 }), code('PLUGIN_NAME_INVALID'));
  assert.throws(() => checkBody(stop, { plugin: '../x' }), code('PLUGIN_NAME_INVALID'));
  assert.deepEqual(checkBody(load, {}), {});
  assert.throws(() => checkBody(load, { name: 'aws' }), code('BODY_INVALID'));
  assert.throws(() => checkBody(load, JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>), code('BODY_INVALID'));
});
