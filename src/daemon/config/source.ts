// The config text as a positioned tree. jsonc-parser keeps every node's
// offset, which is what lets each problem point at its line and column; the
// plain value handed to the schema is built here from the same tree so both
// agree on which of two duplicate keys counts.
import { parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node, ParseError } from 'jsonc-parser';
import type { ConfigIssue, KeyPath, PathIssue } from './errors.js';
import { LineMap } from './lines.js';
import type { Position } from './lines.js';
import { formatPath } from './wording.js';

export interface ConfigSource {
  readonly root: Node | undefined;
  readonly lines: LineMap;
  /** Syntax errors; when there are any, `root` is not to be trusted. */
  readonly syntaxIssues: readonly ConfigIssue[];
}

// Operators annotate configs, so comments and trailing commas are fine; a
// file with nothing but comments means "all defaults".
const PARSE_OPTIONS = { disallowComments: false, allowTrailingComma: true, allowEmptyContent: true } as const;

/** Cascading syntax errors after the first few are noise. */
const MAX_SYNTAX_ISSUES = 5;

export function parseSource(text: string): ConfigSource {
  // A BOM is invisible in editors; dropping it keeps columns on line 1 right.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = new LineMap(body);
  const errors: ParseError[] = [];
  const root = parseTree(body, errors, PARSE_OPTIONS);
  const syntaxIssues = errors.slice(0, MAX_SYNTAX_ISSUES).map((error) => ({
    path: '',
    ...lines.position(error.offset),
    message: `syntax error: ${syntaxMessage(printParseErrorCode(error.error))}`,
  }));
  return { root, lines, syntaxIssues };
}

const SYNTAX_MESSAGES: Readonly<Record<string, string>> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a key in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":" after the key',
  CommaExpected: 'expected "," between entries',
  CloseBraceExpected: 'expected "}"',
  CloseBracketExpected: 'expected "]"',
  EndOfFileExpected: 'unexpected text after the end of the configuration object',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'comment is not closed (missing "*/")',
  UnexpectedEndOfString: 'string is not closed (missing \'"\')',
  UnexpectedEndOfNumber: 'incomplete number',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape sequence',
  InvalidCharacter: 'control character in a string (write it escaped, e.g. \\n)',
};

function syntaxMessage(code: string): string {
  return SYNTAX_MESSAGES[code] ?? code;
}

export interface SourceValue {
  readonly value: unknown;
  readonly issues: readonly PathIssue[];
}

/**
 * The plain value of a syntactically valid tree. Objects have no prototype,
 * so a plugin named "constructor" is just a key; the first of duplicate keys
 * is kept and the others are reported, since silently taking either would
 * hide a mistake.
 */
export function sourceValue(source: ConfigSource): SourceValue {
  const issues: PathIssue[] = [];
  const convert = (node: Node, path: KeyPath): unknown => {
    switch (node.type) {
      case 'object': {
        const object: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
        const firstLine = new Map<string, number>();
        for (const property of node.children ?? []) {
          const [keyNode, valueNode] = property.children ?? [];
          if (keyNode === undefined || valueNode === undefined) continue;
          const key = String(keyNode.value);
          const seen = firstLine.get(key);
          if (seen !== undefined) {
            issues.push({
              path: [...path, key],
              at: 'key',
              offset: keyNode.offset,
              message: `duplicate key: already set on line ${seen}; remove one of them`,
            });
            continue;
          }
          firstLine.set(key, source.lines.position(keyNode.offset).line);
          if (key === '__proto__') {
            issues.push({ path: [...path, key], at: 'key', message: 'the key "__proto__" is not allowed' });
            continue;
          }
          object[key] = convert(valueNode, [...path, key]);
        }
        return object;
      }
      case 'array':
        return (node.children ?? []).map((child, index) => convert(child, [...path, index]));
      default:
        return node.value as unknown;
    }
  };
  return { value: source.root === undefined ? undefined : convert(source.root, []), issues };
}

/**
 * Where a path is in the text: its key or its value. A path that is not in
 * the file (a value inherited from elsewhere) falls back to its nearest
 * ancestor that is.
 */
export function locate(source: ConfigSource, path: KeyPath, at: 'key' | 'value'): Position {
  if (source.root === undefined) return { line: 1, column: 1 };
  for (let length = path.length; length >= 0; length--) {
    const node = nodeAt(source.root, path.slice(0, length));
    if (node === undefined) continue;
    const keyNode = node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
    const target = at === 'key' && keyNode !== undefined ? keyNode : node;
    return source.lines.position(target.offset);
  }
  return source.lines.position(source.root.offset);
}

/**
 * The node at `path`, taking the first of duplicate keys like sourceValue.
 * (jsonc-parser's findNodeAtLocation wants numbers for list indexes and would
 * read a numeric string as an object key only, so it is not used.)
 */
function nodeAt(root: Node, path: KeyPath): Node | undefined {
  let node: Node | undefined = root;
  for (const segment of path) {
    if (node === undefined) return undefined;
    if (node.type === 'object' && typeof segment === 'string') {
      const property: Node | undefined = (node.children ?? []).find((p) => p.children?.[0]?.value === segment);
      node = property?.children?.[1];
    } else if (node.type === 'array' && typeof segment === 'number') {
      node = node.children?.[segment];
    } else return undefined;
  }
  return node;
}

/** PathIssue → ConfigIssue with its position. */
export function positioned(source: ConfigSource, issue: PathIssue): ConfigIssue {
  const position =
    issue.offset !== undefined ? source.lines.position(issue.offset) : locate(source, issue.path, issue.at);
  return { path: formatPath(issue.path), ...position, message: issue.message };
}
