// jsonc-parser reports character offsets; people and editors want line:column.

export interface Position {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units like the offsets. */
  readonly column: number;
}

export class LineMap {
  /** Offset where each line starts; \n, \r\n and a lone \r all end a line, as in jsonc-parser's scanner. */
  readonly #starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 0x0d && text.charCodeAt(i + 1) === 0x0a) continue;
      if (ch === 0x0a || ch === 0x0d) this.#starts.push(i + 1);
    }
  }

  position(offset: number): Position {
    let low = 0;
    let high = this.#starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.#starts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - (this.#starts[low] ?? 0) + 1 };
  }
}
