// The idle monitor's effective settings: built-in defaults ⊕ the file's
// `idle` section ⊕ SNOOZEBOT_IDLE_* overrides. Thresholds merge key by key, so
// a file that sets only cpuPercent keeps the other thresholds; `checks`
// replaces the (empty) default list as a whole. Pure.
import { DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_IDLE_SETTINGS } from '../idle/settings.js';
import type { CustomCheck, IdleSettings, IdleThresholds } from '../idle/settings.js';
import type { IdleOverrides } from './overrides.js';
import type { IdleConfig } from './schema.js';

/** `overrides` in increasing precedence; undefined layers are skipped. */
export function resolveIdleSettings(
  section: IdleConfig | undefined,
  overrides: readonly (IdleOverrides | undefined)[] = [],
): IdleSettings {
  const base = DEFAULT_IDLE_SETTINGS;
  const file = section ?? {};
  let settings: IdleSettings = {
    enabled: file.enabled ?? base.enabled,
    napTimeMs: file.napTimeMs ?? base.napTimeMs,
    checkIntervalMs: file.checkIntervalMs ?? base.checkIntervalMs,
    graceMs: file.graceMs ?? base.graceMs,
    cancelWindowMs: file.cancelWindowMs ?? base.cancelWindowMs,
    // null is a value here ("the daemon's default provider"), so only absence falls back.
    provider: file.provider === undefined ? base.provider : file.provider,
    thresholds: mergeThresholds(base.thresholds, file.thresholds),
    sessionIdleMs: base.sessionIdleMs,
    networkInterfaces: file.networkInterfaces === undefined ? base.networkInterfaces : file.networkInterfaces,
    checks: file.checks === undefined ? base.checks : file.checks.map(resolveCheck),
    webhookUrl: file.webhookUrl === undefined ? base.webhookUrl : file.webhookUrl,
    wall: file.wall ?? base.wall,
    stopAttempts: file.stopAttempts ?? base.stopAttempts,
    root: base.root,
  };
  for (const layer of overrides) {
    if (layer === undefined) continue;
    settings = {
      ...settings,
      enabled: layer.enabled ?? settings.enabled,
      napTimeMs: layer.napTimeMs ?? settings.napTimeMs,
      root: layer.root ?? settings.root,
    };
  }
  // Unset, it follows the nap time that is finally in force (a SNOOZEBOT_IDLE_NAP_TIME_MS included); null is a value.
  return { ...settings, sessionIdleMs: file.sessionIdleMs === undefined ? settings.napTimeMs : file.sessionIdleMs };
}

function mergeThresholds(base: IdleThresholds, file: IdleConfig['thresholds']): IdleThresholds {
  if (file === undefined) return base;
  const result: { -readonly [K in keyof IdleThresholds]: IdleThresholds[K] } = { ...base };
  for (const key of Object.keys(base) as Array<keyof IdleThresholds>) {
    const value = file[key];
    // null switches the signal off, so it overrides; only an absent key inherits.
    if (value !== undefined) result[key] = value;
  }
  // A per-core load threshold takes the place of the absolute one (rules.ts refuses a file that sets both).
  if (result.load1PerCore !== null && file.load1 === undefined) result.load1 = null;
  return result;
}

function resolveCheck(check: NonNullable<IdleConfig['checks']>[number]): CustomCheck {
  return { name: check.name, command: check.command, timeoutMs: check.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS };
}
