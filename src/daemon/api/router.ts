// Route matching, pure: a method and a raw request target in, the route and
// its decoded, validated parameters out. No I/O.
//
// The path is split on "/" before any percent-decoding, so an encoded slash
// (%2F) stays inside its segment and is then refused by the parameter's
// validator; "." and ".." segments are never resolved (WHATWG URL parsing
// would fold /v1/plugins/../x into /v1/x, so it is not used for the path).
import { ApiError } from './errors.js';

export type Method = 'GET' | 'POST';

/** Checks one decoded value and returns it, or throws (ApiError or DaemonError). */
export type Validator = (value: string) => string;

export interface RouteSpec {
  readonly method: Method;
  /** e.g. "/v1/plugins/:name/load"; ":x" segments are parameters. */
  readonly path: string;
  /** Allowed query parameters, each with its validator; anything else is refused. */
  readonly query?: Readonly<Record<string, Validator>>;
}

export type RouteMatch<R extends RouteSpec> =
  | {
      readonly kind: 'found';
      readonly route: R;
      readonly params: Readonly<Record<string, string>>;
      readonly query: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly Method[] }
  | { readonly kind: 'not-found' };

export interface RouterOptions {
  /** Validators for path parameters by name (":name" → params.name). */
  readonly params?: Readonly<Record<string, Validator>>;
}

export interface Router<R extends RouteSpec> {
  readonly routes: readonly R[];
  /** Throws ApiError (or a validator's error) for a malformed target. */
  match(method: string, target: string): RouteMatch<R>;
}

type Segment = { readonly literal: string } | { readonly param: string };

interface Compiled<R extends RouteSpec> {
  readonly route: R;
  readonly segments: readonly Segment[];
}

function compile(path: string): Segment[] {
  if (!path.startsWith('/')) throw new Error(`route path must start with "/": ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((s) => (s.startsWith(':') ? { param: s.slice(1) } : { literal: s }));
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ApiError('PATH_INVALID', `malformed percent-encoding in the path segment ${JSON.stringify(raw.slice(0, 80))}`);
  }
}

function isDotSegment(segment: string): boolean {
  return segment === '.' || segment === '..';
}

function parseQuery(search: string, allowed: Readonly<Record<string, Validator>>): Record<string, string> {
  const query: Record<string, string> = {};
  if (search === '') return query;
  for (const [key, value] of new URLSearchParams(search)) {
    if (!Object.hasOwn(allowed, key)) {
      const names = Object.keys(allowed);
      const hint = names.length === 0 ? 'this route takes no query parameters' : `allowed: ${names.join(', ')}`;
      throw new ApiError('QUERY_INVALID', `unknown query parameter ${JSON.stringify(key.slice(0, 80))} (${hint})`);
    }
    if (Object.hasOwn(query, key)) throw new ApiError('QUERY_INVALID', `query parameter "${key}" given more than once`);
    const validate = allowed[key];
    query[key] = validate === undefined ? value : validate(value);
  }
  return query;
}

export function createRouter<R extends RouteSpec>(routes: readonly R[], options: RouterOptions = {}): Router<R> {
  const compiled: Compiled<R>[] = routes.map((route) => ({ route, segments: compile(route.path) }));
  const validators = options.params ?? {};

  const validateParam = (name: string, value: string): string => {
    const validate = validators[name];
    return validate === undefined ? value : validate(value);
  };

  /** Shape match: literals equal, parameters take any segment. */
  const fits = (segments: readonly Segment[], decoded: readonly string[]): boolean =>
    segments.length === decoded.length &&
    segments.every((s, i) => !('literal' in s) || s.literal === decoded[i]);

  return {
    routes,
    match(method, target) {
      if (!target.startsWith('/')) throw new ApiError('PATH_INVALID', 'the request target must be an absolute path');
      const q = target.indexOf('?');
      const rawPath = q === -1 ? target : target.slice(0, q);
      const search = q === -1 ? '' : target.slice(q + 1);
      const decoded = rawPath.slice(1).split('/').map(decodeSegment);

      const candidates = compiled.filter((c) => fits(c.segments, decoded));
      if (candidates.length === 0) {
        const dot = decoded.findIndex(isDotSegment);
        if (dot !== -1) {
          // A "." or ".." where a route expects a parameter is that parameter's
          // error (e.g. an unencoded plugin name "../etc"); elsewhere, the path's.
          for (const c of compiled) {
            const s = c.segments[dot];
            const before = c.segments.slice(0, dot);
            if (s !== undefined && 'param' in s && fits(before, decoded.slice(0, dot))) validateParam(s.param, decoded[dot] ?? '');
          }
          throw new ApiError('PATH_INVALID', 'path segments "." and ".." are not allowed');
        }
        return { kind: 'not-found' };
      }

      // Parameters are checked before the method, so a bad name is a 400 whatever the method.
      const found = candidates.find((c) => c.route.method === method);
      const params: Record<string, string> = {};
      (found ?? candidates[0])?.segments.forEach((s, i) => {
        if ('param' in s) params[s.param] = validateParam(s.param, decoded[i] ?? '');
      });

      if (found === undefined) {
        const allow = [...new Set(candidates.map((c) => c.route.method))];
        return { kind: 'method-not-allowed', allow };
      }
      return { kind: 'found', route: found.route, params, query: parseQuery(search, found.route.query ?? {}) };
    },
  };
}
