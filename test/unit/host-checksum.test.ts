import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeSha256, sha256File, verifyChecksum } from '../../src/host/checksum.js';
import { HostError } from '../../src/host/errors.js';

// SHA-256 of "abc" (FIPS 180-2 test vector).
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

function isChecksumError(e: unknown): boolean {
  return e instanceof HostError && e.code === 'PLUGIN_CHECKSUM';
}

describe('normalizeSha256', () => {
  it('accepts 64 lowercase hex digits as they are', () => {
    assert.equal(normalizeSha256(ABC), ABC);
  });

  it('strips a sha256: prefix, surrounding space and uppercase', () => {
    assert.equal(normalizeSha256(`sha256:${ABC}`), ABC);
    assert.equal(normalizeSha256(`  SHA256:${ABC.toUpperCase()}\n`), ABC);
    assert.equal(normalizeSha256(ABC.toUpperCase()), ABC);
  });

  it('rejects anything that is not 64 hex digits with PLUGIN_CHECKSUM', () => {
    for (const bad of ['', 'sha256:', ABC.slice(1), `${ABC}0`, `${ABC.slice(1)}g`, `md5:${ABC}`, `${ABC.slice(0, 32)} ${ABC.slice(32)}`]) {
      assert.throws(() => normalizeSha256(bad), isChecksumError, JSON.stringify(bad));
    }
  });
});

describe('verifyChecksum', () => {
  let dir = '';
  let file = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snoozebot-host-checksum-'));
    file = join(dir, 'plugin');
    await writeFile(file, 'abc');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hashes the file', async () => {
    assert.equal(await sha256File(file), ABC);
  });

  it('resolves when the pin matches, in any accepted spelling', async () => {
    await verifyChecksum(file, ABC);
    await verifyChecksum(file, `sha256:${ABC.toUpperCase()}`);
  });

  it('rejects with PLUGIN_CHECKSUM naming both digests when the pin differs', async () => {
    const other = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    await assert.rejects(verifyChecksum(file, other), (e: unknown) => {
      assert.ok(isChecksumError(e));
      assert.match((e as Error).message, new RegExp(ABC));
      assert.match((e as Error).message, new RegExp(other));
      return true;
    });
  });

  it('rejects a malformed pin before reading the file', async () => {
    await assert.rejects(verifyChecksum(join(dir, 'missing'), 'nope'), isChecksumError);
  });

  it('rejects when the file is missing', async () => {
    await assert.rejects(verifyChecksum(join(dir, 'missing'), ABC), (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT');
  });
});
