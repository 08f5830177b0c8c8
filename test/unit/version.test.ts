import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { VERSION } from '../../src/version.js';

describe('VERSION', () => {
  it("equals package.json's version", () => {
    // Compiled to dist/js/test/unit; package.json is four levels up.
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    assert.equal(typeof pkg.version, 'string');
    assert.equal(VERSION, pkg.version);
  });
});
