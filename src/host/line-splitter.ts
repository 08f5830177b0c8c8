// Splits a byte stream into lines without ever holding more than `maxBytes`
// of one line: a plugin that prints a megabyte without a newline costs us
// `maxBytes`, not a megabyte. Pure: the caller feeds chunks.

export interface Line {
  readonly text: string;
  /** The line was longer than maxBytes and was cut there; the rest was dropped. */
  readonly truncated: boolean;
}

export class LineSplitter {
  readonly #maxBytes: number;
  readonly #onLine: (line: Line) => void;
  #parts: Buffer[] = [];
  #size = 0;
  /** Past maxBytes: drop bytes until the next newline. */
  #discarding = false;

  constructor(maxBytes: number, onLine: (line: Line) => void) {
    this.#maxBytes = maxBytes;
    this.#onLine = onLine;
  }

  /** Bytes of the current unfinished line held right now. */
  get pending(): number {
    return this.#size;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      if (!this.#discarding) this.#append(chunk.subarray(start, end));
      if (newline === -1) return;
      if (this.#discarding) this.#discarding = false;
      else this.#emit(false);
      start = newline + 1;
    }
  }

  /** Emits what is left when the stream ends without a final newline. */
  end(): void {
    if (this.#size > 0 && !this.#discarding) this.#emit(false);
    this.#parts = [];
    this.#size = 0;
    this.#discarding = false;
  }

  #append(bytes: Buffer): void {
    const room = this.#maxBytes - this.#size;
    if (bytes.length <= room) {
      if (bytes.length > 0) {
        this.#parts.push(Buffer.from(bytes));
        this.#size += bytes.length;
      }
      return;
    }
    this.#parts.push(Buffer.from(bytes.subarray(0, room)));
    this.#size += room;
    this.#emit(true);
    this.#discarding = true;
  }

  #emit(truncated: boolean): void {
    let text = Buffer.concat(this.#parts, this.#size).toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    this.#parts = [];
    this.#size = 0;
    this.#onLine({ text, truncated });
  }
}

/** Keeps the last `capacity` lines for error messages. */
export class LineTail {
  readonly #capacity: number;
  readonly #lines: string[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  add(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.#capacity) this.#lines.shift();
  }

  lines(): string[] {
    return [...this.#lines];
  }
}
