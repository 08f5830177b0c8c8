import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FieldCursor } from '../../src/daemon/idle/signals/proc-fields.js';

describe('FieldCursor', () => {
  it('walks the fields of one line and stops at its end', () => {
    const cursor = new FieldCursor('  a\tbb  42 \nnext 1\n');
    assert.equal(cursor.field(), 'a');
    assert.equal(cursor.field(), 'bb');
    assert.equal(cursor.integer(), 42);
    assert.equal(cursor.field(), undefined);
    assert.equal(cursor.integer(), undefined);
    assert.equal(cursor.skipField(), false);
    assert.equal(cursor.nextLine(), true);
    assert.equal(cursor.field(), 'next');
    assert.equal(cursor.skipField(), true);
    assert.equal(cursor.field(), undefined);
    assert.equal(cursor.nextLine(), false);
    assert.equal(cursor.atEnd, true);
  });

  it('reads integers digit by digit and gives NaN for anything else', () => {
    const cursor = new FieldCursor('0 007 18446744073709551615 12a -1 1.5');
    assert.equal(cursor.integer(), 0);
    assert.equal(cursor.integer(), 7);
    assert.equal(cursor.integer(), 18446744073709551615);
    assert.ok(Number.isNaN(cursor.integer()));
    assert.ok(Number.isNaN(cursor.integer()));
    assert.ok(Number.isNaN(cursor.integer()));
    assert.equal(cursor.integer(), undefined);
  });

  it('seeks a line by its start only', () => {
    const cursor = new FieldCursor('xbtime 1\nbtime 2\n');
    assert.equal(cursor.seekLine('btime '), true);
    assert.equal(cursor.integer(), 2);
    assert.equal(new FieldCursor('btime 3').seekLine('btime '), true);
    assert.equal(new FieldCursor('ctxt 3\n').seekLine('btime '), false);
  });
});
