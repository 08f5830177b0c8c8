// The idle gauges on /metrics: read from the monitor's status at scrape time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IdleStatus } from '../../src/daemon/idle/status.js';
import { createMetrics } from '../../src/daemon/metrics.js';

function status(overrides: Partial<IdleStatus> = {}): IdleStatus {
  return {
    enabled: true,
    phase: 'idle',
    since: '2026-11-23T12:00:00.000Z',
    idleSeconds: 600,
    napTimeSeconds: 1800,
    checkIntervalSeconds: 10,
    graceUntil: null,
    stopAt: '2026-11-23T12:31:00.000Z',
    provider: 'aws',
    providerProblem: null,
    dryRun: false,
    lastSampleAt: '2026-11-23T12:10:00.000Z',
    signals: [
      { signal: 'cpu', value: 2.5, threshold: 10, unit: '%', busy: false },
      { signal: 'load', value: 0.1, threshold: null, unit: '', busy: false },
      { signal: 'check:jobs', value: null, threshold: 0, unit: 'exit', busy: true, detail: 'timed out' },
    ],
    busySignals: [],
    lastStop: null,
    phaseChanges: [],
    ...overrides,
  };
}

describe('idle metrics', () => {
  it('exports the phase, idle seconds, stop time and every signal', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let current = status();
    metrics.bindIdle(() => current);
    let text = await metrics.text();
    assert.match(text, /^snoozebot_idle_phase\{phase="idle"\} 1$/m);
    assert.match(text, /^snoozebot_idle_phase\{phase="busy"\} 0$/m);
    assert.match(text, /^snoozebot_idle_seconds 600$/m);
    assert.match(text, new RegExp(`^snoozebot_idle_stop_at_seconds ${Date.parse('2026-11-23T12:31:00.000Z') / 1000}$`, 'm'));
    assert.match(text, /^snoozebot_idle_signal_value\{signal="cpu"\} 2\.5$/m);
    assert.match(text, /^snoozebot_idle_signal_threshold\{signal="cpu"\} 10$/m);
    assert.doesNotMatch(text, /snoozebot_idle_signal_threshold\{signal="load"\}/, 'an ignored signal has no threshold series');
    assert.doesNotMatch(text, /snoozebot_idle_signal_value\{signal="check:jobs"\}/, 'an unreadable signal has no value series');
    assert.match(text, /^snoozebot_idle_signal_busy\{signal="check:jobs"\} 1$/m);

    current = status({ phase: 'busy', idleSeconds: 0, stopAt: null, signals: [{ signal: 'cpu', value: 50, threshold: 10, unit: '%', busy: true }] });
    metrics.countIdleStop('failed');
    text = await metrics.text();
    assert.match(text, /^snoozebot_idle_phase\{phase="busy"\} 1$/m);
    assert.match(text, /^snoozebot_idle_stop_at_seconds 0$/m);
    assert.doesNotMatch(text, /signal="check:jobs"/, 'a check removed by a reload leaves no stale series');
    assert.match(text, /^snoozebot_idle_stops_total\{outcome="failed"\} 1$/m);
  });
});
