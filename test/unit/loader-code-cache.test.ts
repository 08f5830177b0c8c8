// Which cache files belong to which code (a plugin's clean-up of its old caches never touches another plugin's), and whose young generation the loader may fix.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheFileName, isCacheOf } from '../../src/loader/code-cache.js';
import { userSizedYoungGeneration } from '../../src/loader/young-generation.js';

describe('isCacheOf', () => {
  it("matches this code's caches of any build, Node version and arch", () => {
    assert.ok(isCacheOf(cacheFileName('aws', 'a1b2c3d4e5f6a7b8c9d0e1f2', 'v20.20.2', 'x64'), 'aws'));
    assert.ok(isCacheOf(cacheFileName('aws', '00ff', 'v24.1.0', 'arm64'), 'aws'));
  });

  it('never matches the caches of a plugin whose name starts with this one', () => {
    assert.equal(isCacheOf(cacheFileName('aws-eu', 'a1b2c3', 'v20.20.2', 'x64'), 'aws'), false);
    assert.equal(isCacheOf(cacheFileName('aws-beef', 'a1b2c3', 'v20.20.2', 'x64'), 'aws'), false);
    assert.ok(isCacheOf(cacheFileName('aws-eu', 'a1b2c3', 'v20.20.2', 'x64'), 'aws-eu'));
  });

  it('ignores anything else in the directory', () => {
    assert.equal(isCacheOf('aws-a1b2-v20.20.2-x64.v8cache.123.tmp', 'aws'), false);
    assert.equal(isCacheOf('aws.v8cache', 'aws'), false);
  });
});

describe('userSizedYoungGeneration', () => {
  it("leaves the young generation to a user who sized it on Node's command line or in NODE_OPTIONS", () => {
    assert.ok(userSizedYoungGeneration(['--max-semi-space-size=4'], undefined));
    assert.ok(userSizedYoungGeneration([], '--max-old-space-size=200 --semi-space-growth-factor=2'));
    assert.ok(userSizedYoungGeneration(['--min_semi_space_size=2'], ''));
  });

  it('takes it over otherwise', () => {
    assert.equal(userSizedYoungGeneration([], undefined), false);
    assert.equal(userSizedYoungGeneration(['--enable-source-maps'], '--max-old-space-size=200'), false);
  });
});
