/**
 * Renders an untrusted value for an error message. The value may be a
 * megabyte of binary junk a broken plugin wrote to stdout, so the output is
 * bounded, and characters that would garble or spoof a terminal (controls,
 * bidi overrides, zero-width characters, lone surrogates) are escaped.
 *
 * The result is valid JSON: when nothing was cut, JSON.parse gives back the
 * exact original string, which keeps logs unambiguous.
 */

/** Escaped content is cut once it would grow past this many characters. */
const CONTENT_BUDGET = 72;

// Categories a terminal would show invisibly or act on: controls (Cc), format
// characters such as U+202E (Cf), line/paragraph separators (Zl, Zp),
// surrogates left unpaired (Cs), private-use (Co) and unassigned (Cn).
const NEEDS_ESCAPE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/u;

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function hex4(unit: number): string {
  return '\\u' + unit.toString(16).padStart(4, '0');
}

function escapeCodePoint(ch: string): string {
  const short = SHORT_ESCAPES[ch];
  if (short !== undefined) return short;
  if (!NEEDS_ESCAPE.test(ch)) return ch;
  // Astral characters are escaped as their surrogate pair so the result stays
  // plain JSON rather than needing ES2015 \u{...} syntax.
  let out = '';
  for (let i = 0; i < ch.length; i++) out += hex4(ch.charCodeAt(i));
  return out;
}

/**
 * Quotes `value` like JSON.stringify, cut so the result stays under roughly
 * 100 characters. A cut result ends with `…` and the original length, e.g.
 * `"1|1|unix|/tmp/aaaa…"… (1048576 chars)`.
 */
export function quoteForDisplay(value: string): string {
  let content = '';
  // for..of walks code points, so a cut never splits a surrogate pair.
  for (const ch of value) {
    const escaped = escapeCodePoint(ch);
    if (content.length + escaped.length > CONTENT_BUDGET) {
      return `"${content}"… (${value.length} chars)`;
    }
    content += escaped;
  }
  return `"${content}"`;
}

/**
 * Cuts text we wrote ourselves (but which may embed caller-supplied lists) so
 * one long part cannot push an error message past its size budget.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  // Avoid leaving half a surrogate pair at the cut.
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + '…';
}

/**
 * Lists version numbers for a message, e.g. `[1, 2, 5]`, eliding the middle
 * of very long lists.
 */
export function formatVersionList(versions: readonly number[]): string {
  const MAX_SHOWN = 8;
  if (versions.length <= MAX_SHOWN) return `[${versions.join(', ')}]`;
  const head = versions.slice(0, MAX_SHOWN - 2).join(', ');
  const tail = versions.slice(-2).join(', ');
  return `[${head}, … ${versions.length - MAX_SHOWN} more …, ${tail}]`;
}
