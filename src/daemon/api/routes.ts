// The API's routes (version 1): what each one takes and which DaemonControl
// call answers it. docs/api.md describes them for clients.
import { DaemonError, validatePluginName } from '../errors.js';
import type { DaemonControl } from '../types.js';
import { ApiError } from './errors.js';
import type { RouteSpec, Validator } from './router.js';

/** What GET /metrics serves; createMetrics() in ../metrics.ts gives one. */
export interface MetricsSource {
  readonly contentType: string;
  text(): Promise<string>;
}

export interface HandlerContext {
  readonly control: DaemonControl;
  readonly metrics: MetricsSource;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  /** The validated JSON body of a POST ({} when empty); {} for GET. */
  readonly body: Readonly<Record<string, unknown>>;
}

export type Reply =
  | { readonly status: number; readonly json: object }
  | { readonly status: number; readonly contentType: string; readonly text: string };

/** Checks one body field's value and returns it, or throws. */
export type FieldValidator = (value: unknown) => unknown;

export interface ApiRoute extends RouteSpec {
  /** POST only: the fields the JSON body may have; the body is not read for GET. */
  readonly body?: Readonly<Record<string, FieldValidator>>;
  readonly handler: (ctx: HandlerContext) => Reply | Promise<Reply>;
}

/** A plugin name as the API accepts it: the daemon's rule, and no ".." anywhere. */
export const checkPluginName: Validator = (name) => {
  if (name.includes('..')) {
    throw new DaemonError(
      'PLUGIN_NAME_INVALID',
      `invalid plugin name ${JSON.stringify(name.slice(0, 80))}: a plugin's name is its file name in the plugins directory (no "/", no "..", not starting with ".")`,
    );
  }
  return validatePluginName(name);
};

const pluginField: FieldValidator = (value) => {
  if (typeof value !== 'string') {
    throw new DaemonError('PLUGIN_NAME_INVALID', `"plugin" must be a string naming a plugin, not ${value === null ? 'null' : typeof value}`);
  }
  return checkPluginName(value);
};

const ok = (json: object): Reply => ({ status: 200, json });

const pluginAction = (action: 'load' | 'unload' | 'restart'): ApiRoute => ({
  method: 'POST',
  path: `/v1/plugins/:name/${action}`,
  body: {},
  handler: async ({ control, params }) => {
    const name = params.name ?? '';
    const status =
      action === 'load'
        ? await control.loadPlugin(name)
        : action === 'unload'
          ? await control.unloadPlugin(name)
          : await control.restartPlugin(name);
    return ok(status);
  },
});

const optionalPlugin = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export const ROUTES: readonly ApiRoute[] = [
  { method: 'GET', path: '/v1/status', handler: ({ control }) => ok(control.status()) },
  {
    method: 'GET',
    path: '/v1/plugins',
    handler: async ({ control }) => {
      await control.refreshMemory();
      return ok({ plugins: control.listPlugins() });
    },
  },
  {
    method: 'GET',
    path: '/v1/plugins/:name',
    handler: async ({ control, params }) => {
      await control.refreshMemory(params.name ?? '');
      return ok(control.pluginInfo(params.name ?? ''));
    },
  },
  pluginAction('load'),
  pluginAction('unload'),
  pluginAction('restart'),
  {
    method: 'GET',
    path: '/v1/instance',
    query: { plugin: checkPluginName },
    handler: async ({ control, query }) => ok(await control.instanceInfo(query.plugin)),
  },
  {
    method: 'GET',
    path: '/v1/instances',
    query: { plugin: checkPluginName },
    handler: async ({ control, query }) => ok(await control.listInstances(query.plugin)),
  },
  {
    method: 'POST',
    path: '/v1/instance/stop',
    body: { plugin: pluginField },
    handler: async ({ control, body }) => ok(await control.stopInstance(optionalPlugin(body.plugin))),
  },
  {
    method: 'POST',
    path: '/v1/instance/start',
    body: { plugin: pluginField },
    handler: async ({ control, body }) => ok(await control.startInstance(optionalPlugin(body.plugin))),
  },
  {
    method: 'GET',
    path: '/metrics',
    handler: async ({ control, metrics }) => {
      await control.refreshMemory();
      return { status: 200, contentType: metrics.contentType, text: await metrics.text() };
    },
  },
  { method: 'GET', path: '/healthz', handler: () => ({ status: 200, contentType: 'text/plain; charset=utf-8', text: 'ok\n' }) },
];

/** Path parameter validators for createRouter. */
export const PARAMS: Readonly<Record<string, Validator>> = { name: checkPluginName };

/** Checks a parsed body against the route's fields: unknown fields and bad values are refused. */
export function checkBody(route: ApiRoute, body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const fields = route.body ?? {};
  const checked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const validate = fields[key];
    if (validate === undefined || !Object.hasOwn(fields, key)) {
      const names = Object.keys(fields);
      const hint = names.length === 0 ? 'this route takes no fields' : `allowed: ${names.join(', ')}`;
      throw new ApiError('BODY_INVALID', `unknown field ${JSON.stringify(key.slice(0, 80))} in the request body (${hint})`);
    }
    checked[key] = validate(value);
  }
  return checked;
}
