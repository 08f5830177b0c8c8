// Reads the blank-separated fields of procfs text in place. The sampler
// parses several of these files every check interval for months, so fields
// are read straight out of the string rather than split into arrays of
// substrings.

const SPACE = 0x20;
const TAB = 0x09;
const NEWLINE = 0x0a;
const ZERO = 0x30;
const NINE = 0x39;

export class FieldCursor {
  readonly #text: string;
  #pos: number;

  constructor(text: string, pos = 0) {
    this.#text = text;
    this.#pos = pos;
  }

  get position(): number {
    return this.#pos;
  }

  moveTo(pos: number): void {
    this.#pos = pos;
  }

  get atEnd(): boolean {
    return this.#pos >= this.#text.length;
  }

  /** Skips spaces and tabs; true when a field follows on the current line. */
  #skipBlanks(): boolean {
    const text = this.#text;
    let pos = this.#pos;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c !== SPACE && c !== TAB) break;
      pos++;
    }
    this.#pos = pos;
    return pos < text.length && text.charCodeAt(pos) !== NEWLINE;
  }

  #fieldEnd(): number {
    const text = this.#text;
    let pos = this.#pos;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === SPACE || c === TAB || c === NEWLINE) break;
      pos++;
    }
    return pos;
  }

  /** The next field on the current line; undefined at its end. */
  field(): string | undefined {
    if (!this.#skipBlanks()) return undefined;
    const start = this.#pos;
    this.#pos = this.#fieldEnd();
    return this.#text.slice(start, this.#pos);
  }

  /** Steps over the next field on the current line; false at its end. */
  skipField(): boolean {
    if (!this.#skipBlanks()) return false;
    this.#pos = this.#fieldEnd();
    return true;
  }

  /**
   * The next field as a non-negative decimal integer: undefined at the end
   * of the line, NaN when the field is something else. Counters beyond 2^53
   * lose their last digits, as Number() would; rates over them stay right.
   */
  integer(): number | undefined {
    if (!this.#skipBlanks()) return undefined;
    const text = this.#text;
    const end = this.#fieldEnd();
    let value = 0;
    for (let pos = this.#pos; pos < end; pos++) {
      const c = text.charCodeAt(pos);
      if (c < ZERO || c > NINE) {
        value = Number.NaN;
        break;
      }
      value = value * 10 + (c - ZERO);
    }
    this.#pos = end;
    return value;
  }

  /** Moves to the start of the next line; false when there is none. */
  nextLine(): boolean {
    const newline = this.#text.indexOf('\n', this.#pos);
    this.#pos = newline < 0 ? this.#text.length : newline + 1;
    return this.#pos < this.#text.length;
  }

  /** Moves just past `prefix` at the start of the first line that begins with it; false when no line does. */
  seekLine(prefix: string): boolean {
    let at: number;
    if (this.#text.startsWith(prefix, 0)) at = 0;
    else {
      at = this.#text.indexOf(`\n${prefix}`);
      if (at < 0) return false;
      at += 1;
    }
    this.#pos = at + prefix.length;
    return true;
  }
}
