import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineSplitter, LineTail } from '../../src/host/line-splitter.js';
import type { Line } from '../../src/host/line-splitter.js';

function collect(maxBytes: number): { splitter: LineSplitter; lines: Line[] } {
  const lines: Line[] = [];
  return { splitter: new LineSplitter(maxBytes, (line) => lines.push(line)), lines };
}

describe('LineSplitter', () => {
  it('joins a line split across chunk boundaries', () => {
    const { splitter, lines } = collect(1024);
    splitter.push(Buffer.from('hel'));
    splitter.push(Buffer.from('lo wo'));
    assert.deepEqual(lines, []);
    assert.equal(splitter.pending, 8);
    splitter.push(Buffer.from('rld\nsecond\nthi'));
    assert.deepEqual(lines, [
      { text: 'hello world', truncated: false },
      { text: 'second', truncated: false },
    ]);
    assert.equal(splitter.pending, 3);
  });

  it('emits empty lines for consecutive newlines', () => {
    const { splitter, lines } = collect(1024);
    splitter.push(Buffer.from('a\n\n\nb\n'));
    assert.deepEqual(
      lines.map((l) => l.text),
      ['a', '', '', 'b'],
    );
  });

  it('strips the CR of CRLF line endings, also when CR and LF arrive in different chunks', () => {
    const { splitter, lines } = collect(1024);
    splitter.push(Buffer.from('one\r\ntwo\r'));
    splitter.push(Buffer.from('\nthree'));
    splitter.end();
    assert.deepEqual(
      lines.map((l) => l.text),
      ['one', 'two', 'three'],
    );
  });

  it('keeps a CR that is not at the end of the line', () => {
    const { splitter, lines } = collect(1024);
    splitter.push(Buffer.from('a\rb\n'));
    assert.deepEqual(lines, [{ text: 'a\rb', truncated: false }]);
  });

  it('reassembles a multi-byte UTF-8 character split between chunks', () => {
    const { splitter, lines } = collect(1024);
    const bytes = Buffer.from('größe €\n');
    for (const byte of bytes) splitter.push(Buffer.from([byte]));
    assert.deepEqual(lines, [{ text: 'größe €', truncated: false }]);
  });

  it('emits a line of exactly maxBytes untruncated', () => {
    const { splitter, lines } = collect(4);
    splitter.push(Buffer.from('abcd\nxy\n'));
    assert.deepEqual(lines, [
      { text: 'abcd', truncated: false },
      { text: 'xy', truncated: false },
    ]);
  });

  it('emits a too-long line once, truncated, and drops the rest up to the newline', () => {
    const { splitter, lines } = collect(4);
    splitter.push(Buffer.from('abcdef'));
    assert.deepEqual(lines, [{ text: 'abcd', truncated: true }]);
    splitter.push(Buffer.from('ghij'));
    splitter.push(Buffer.from('klm\nnext\n'));
    assert.deepEqual(lines, [
      { text: 'abcd', truncated: true },
      { text: 'next', truncated: false },
    ]);
  });

  it('truncates a too-long line that spans chunks, counting the bytes already held', () => {
    const { splitter, lines } = collect(5);
    splitter.push(Buffer.from('abc'));
    splitter.push(Buffer.from('defgh\nok\n'));
    assert.deepEqual(lines, [
      { text: 'abcde', truncated: true },
      { text: 'ok', truncated: false },
    ]);
  });

  it('never holds more than maxBytes, even for a 1 MiB chunk without a newline', () => {
    const maxBytes = 64 * 1024;
    const { splitter, lines } = collect(maxBytes);
    splitter.push(Buffer.alloc(1024 * 1024, 0x61));
    assert.ok(splitter.pending <= maxBytes, `pending ${splitter.pending} > ${maxBytes}`);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.truncated, true);
    assert.equal(lines[0]?.text.length, maxBytes);
    // More of the same line is dropped, without growing the buffer or emitting again.
    splitter.push(Buffer.alloc(1024 * 1024, 0x62));
    assert.ok(splitter.pending <= maxBytes);
    assert.equal(lines.length, 1);
    splitter.push(Buffer.from('\nafter\n'));
    assert.deepEqual(lines[1], { text: 'after', truncated: false });
    assert.equal(lines.length, 2);
  });

  it('pending stays within maxBytes for many small chunks of one long line', () => {
    const maxBytes = 100;
    const { splitter, lines } = collect(maxBytes);
    for (let i = 0; i < 1000; i++) {
      splitter.push(Buffer.from('0123456789'));
      assert.ok(splitter.pending <= maxBytes);
    }
    assert.equal(lines.length, 1);
    assert.deepEqual(lines[0], { text: '0123456789'.repeat(10), truncated: true });
  });

  it('end() flushes an unterminated last line and resets', () => {
    const { splitter, lines } = collect(1024);
    splitter.push(Buffer.from('first\nlast'));
    assert.deepEqual(
      lines.map((l) => l.text),
      ['first'],
    );
    splitter.end();
    assert.deepEqual(lines[1], { text: 'last', truncated: false });
    assert.equal(splitter.pending, 0);
    splitter.end();
    assert.equal(lines.length, 2, 'a second end() emits nothing');
  });

  it('end() emits nothing after a trailing newline or while discarding a too-long line', () => {
    const a = collect(1024);
    a.splitter.push(Buffer.from('done\n'));
    a.splitter.end();
    assert.deepEqual(
      a.lines.map((l) => l.text),
      ['done'],
    );

    const b = collect(3);
    b.splitter.push(Buffer.from('toolong'));
    b.splitter.end();
    assert.deepEqual(b.lines, [{ text: 'too', truncated: true }]);
    // After end() the splitter starts fresh: the next line is not discarded.
    b.splitter.push(Buffer.from('ab\n'));
    assert.deepEqual(b.lines[1], { text: 'ab', truncated: false });
  });

  it('property: any chunking of text gives text.split("\\n") (lines within the cap)', () => {
    const maxBytes = 32;
    const char = fc.constantFrom('a', 'b', 'z', ' ', '|', '{', 'é', '€', '😀', '\n', '\n');
    fc.assert(
      fc.property(
        fc.array(char, { maxLength: 200 }).map((cs) => cs.join('')),
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 20 }),
        (text, cuts) => {
          const expected = text.split('\n');
          fc.pre(expected.every((line) => Buffer.byteLength(line) <= maxBytes));
          const bytes = Buffer.from(text);
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
          const { splitter, lines } = collect(maxBytes);
          let from = 0;
          for (const point of [...points, bytes.length]) {
            splitter.push(bytes.subarray(from, point));
            assert.ok(splitter.pending <= maxBytes);
            from = point;
          }
          splitter.end();
          // A final '\n' (or an empty text) ends the stream without a further line.
          if (expected[expected.length - 1] === '') expected.pop();
          assert.deepEqual(
            lines.map((l) => l.text),
            expected,
          );
          assert.ok(lines.every((l) => !l.truncated));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('LineTail', () => {
  it('keeps only the last N lines, oldest first', () => {
    const tail = new LineTail(3);
    for (const line of ['1', '2', '3', '4', '5']) tail.add(line);
    assert.deepEqual(tail.lines(), ['3', '4', '5']);
  });

  it('holds fewer lines than capacity as they are', () => {
    const tail = new LineTail(5);
    tail.add('only');
    assert.deepEqual(tail.lines(), ['only']);
    assert.deepEqual(new LineTail(2).lines(), []);
  });

  it('returns a copy that does not change the tail', () => {
    const tail = new LineTail(2);
    tail.add('a');
    const copy = tail.lines();
    copy.push('x');
    assert.deepEqual(tail.lines(), ['a']);
  });
});
