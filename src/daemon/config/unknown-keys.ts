// Messages for keys the schema does not know. Most are typos (suggest the
// nearest known key); the rest are real settings put in the wrong section,
// which deserve a pointer to the right one rather than a list of keys.
import * as z from 'zod';
import type { KeyPath } from './errors.js';
import { configFileSchema, defaultsSchema, idleSchema, pluginSchema, thresholdsSchema } from './schema.js';
import { closestMatch } from './suggest.js';

const TOP_LEVEL_KEYS = Object.keys(configFileSchema.shape);
const PLUGIN_ONLY_KEYS = ['enabled', 'env', 'sha256'];
const TUNABLE_KEYS = Object.keys(defaultsSchema.shape);
const IDLE_KEYS = Object.keys(idleSchema.shape);
const THRESHOLD_KEYS = Object.keys(thresholdsSchema.shape);

export function unknownKeyMessage(objectPath: KeyPath, key: string): string {
  const object = schemaAt(configFileSchema, objectPath);
  const known = object === undefined ? [] : Object.keys(object.shape);
  const misplaced = misplacedHint(object, key);
  if (misplaced !== undefined) return misplaced;
  const suggestion = closestMatch(key, known);
  if (suggestion !== undefined) return `unknown key "${key}"; did you mean "${suggestion}"?`;
  return `unknown key "${key}"; the keys allowed here are: ${known.join(', ')}`;
}

function misplacedHint(object: z.ZodObject | undefined, key: string): string | undefined {
  if (object === defaultsSchema) {
    if (key === 'enabled') return 'not allowed in defaults: the top-level "autoload" decides whether plugins load by default';
    if (PLUGIN_ONLY_KEYS.includes(key)) return `not allowed in defaults: it is specific to one plugin; set it under plugins.<name>.${key}`;
  }
  if (object === configFileSchema) {
    // Both a plugin and the idle section have "enabled"; which one was meant is not knowable.
    if (key === 'enabled') {
      return 'not allowed at the top level: set plugins.<name>.enabled to turn a plugin on or off, or idle.enabled for idle detection';
    }
    if (key === 'provider') {
      return 'not allowed at the top level: set "defaultProvider" (the plugin CLI calls use) or idle.provider (the plugin an idle stop goes through)';
    }
    if (IDLE_KEYS.includes(key)) return `not allowed at the top level: it is an idle detection setting; set it under idle.${key}`;
    if (THRESHOLD_KEYS.includes(key)) return `not allowed at the top level: it is an idle threshold; set it under idle.thresholds.${key}`;
    if (PLUGIN_ONLY_KEYS.includes(key)) return `not allowed at the top level: it is a plugin setting; set it under plugins.<name>.${key}`;
    if (TUNABLE_KEYS.includes(key)) {
      return `not allowed at the top level: it is a plugin setting; set it under defaults.${key} (all plugins) or plugins.<name>.${key}`;
    }
  }
  if (object === idleSchema && key === 'root') {
    return 'not settable in the file: idle detection always reads /proc and utmp under "/" (SNOOZEBOT_IDLE_ROOT changes it, for tests only)';
  }
  if (object === idleSchema && THRESHOLD_KEYS.includes(key)) return `not allowed here: it is a threshold; set it under idle.thresholds.${key}`;
  if ((object === defaultsSchema || object === pluginSchema) && TOP_LEVEL_KEYS.includes(key)) {
    return 'not allowed here: it is a top-level setting, not a plugin setting';
  }
  return undefined;
}

/** The object schema the value at `path` is checked against. */
function schemaAt(root: z.ZodType, path: KeyPath): z.ZodObject | undefined {
  let schema: z.ZodType | undefined = unwrap(root);
  for (const segment of path) {
    if (schema instanceof z.ZodObject) {
      const shape = schema.shape as Record<string, z.ZodType>;
      schema = Object.hasOwn(shape, segment) ? shape[String(segment)] : undefined;
    }
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.ZodType;
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else return undefined;
    if (schema !== undefined) schema = unwrap(schema);
  }
  return schema instanceof z.ZodObject ? schema : undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodNullable) current = current.unwrap() as z.ZodType;
  return current;
}
