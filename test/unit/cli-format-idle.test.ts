import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  busyReasons,
  clockTime,
  formatIdle,
  formatIdleSummary,
  formatMeasure,
  formatRate,
  formatSessionTable,
  formatSignalTable,
  formatStatusReport,
  shortDuration,
  signalState,
} from '../../src/cli/format-idle.js';
import type { IdleStatus, SessionActivity, SignalReading } from '../../src/daemon/idle/status.js';
import type { DaemonStatus } from '../../src/daemon/types.js';

const NOW = new Date('2026-11-23T13:47:50Z');
const UTC = { timeZone: 'UTC' };

const SIGNALS: readonly SignalReading[] = [
  { signal: 'cpu', value: 37.24, threshold: 10, unit: '%', busy: true },
  { signal: 'load', value: 0.42, threshold: 0.5, unit: '', busy: false, detail: '5 min 0.3, 15 min 0.2' },
  { signal: 'network', value: 1228.8, threshold: 51_200, unit: 'B/s', busy: false, detail: 'received 1000, sent 229' },
  { signal: 'disk', value: 0, threshold: 1_048_576, unit: 'B/s', busy: false },
  { signal: 'sessions', value: 1, threshold: 0, unit: 'sessions', busy: true, detail: 'alice on pts/0' },
  { signal: 'gpu', value: null, threshold: null, unit: '%', busy: false, detail: 'nvidia-smi not found' },
  { signal: 'check:jobs', value: 0, threshold: 0, unit: 'exit', busy: false, detail: 'exit 1' },
];

const BUSY: IdleStatus = {
  enabled: true,
  phase: 'busy',
  since: '2026-11-23T13:44:38Z',
  idleSeconds: 0,
  napTimeSeconds: 1800,
  checkIntervalSeconds: 10,
  graceUntil: null,
  stopAt: null,
  provider: 'aws',
  providerProblem: null,
  dryRun: false,
  lastSampleAt: '2026-11-23T13:47:48Z',
  signals: SIGNALS,
  busySignals: ['cpu', 'sessions'],
  lastStop: null,
  phaseChanges: [],
};

const QUIET: readonly SignalReading[] = SIGNALS.map((s) =>
  s.signal === 'cpu' ? { ...s, value: 1.5, busy: false } : s.signal === 'sessions' ? { signal: 'sessions', value: 0, threshold: 0, unit: 'sessions', busy: false } : s,
);

function status(overrides: Partial<IdleStatus>): IdleStatus {
  return { ...BUSY, ...overrides };
}

/** The value of one "key: value" line. */
function line(text: string, key: string): string {
  const found = text.split('\n').find((l) => l.startsWith(`${key}:`));
  assert.ok(found !== undefined, `no "${key}:" line in:\n${text}`);
  return found.slice(key.length + 1).trim();
}

function hasLine(text: string, key: string): boolean {
  return text.split('\n').some((l) => l.startsWith(`${key}:`));
}

describe('formatIdleSummary by phase', () => {
  it('busy: for how long, which signals against their thresholds, the earliest stop', () => {
    const text = formatIdleSummary(BUSY, NOW, UTC);
    assert.equal(line(text, 'idle'), 'busy for 3m12s: cpu 37.2 % > 10 %, sessions 1 > 0 (alice on pts/0)');
    assert.equal(line(text, 'stop'), 'not while busy; once idle for 30m, at the earliest 14:17:50, through plugin aws');
    assert.equal(line(text, 'nap time'), '30m, checked every 10s');
    assert.equal(line(text, 'last sample'), '13:47:48 (2s ago)');
    assert.ok(!hasLine(text, 'grace'), 'no grace line once it is over');
    assert.ok(!hasLine(text, 'last stop'), 'no last stop line before any stop');
  });

  it('busy inside the grace period: the earliest stop is the end of grace, which is shown', () => {
    const text = formatIdleSummary(status({ graceUntil: '2026-11-23T15:00:00Z' }), NOW, UTC);
    assert.match(line(text, 'stop'), /at the earliest 15:00:00,/);
    assert.equal(line(text, 'grace'), 'until 15:00:00 (1h12m left): no stop before then');
  });

  it('idle: for how long, since when, and when it stops through which plugin', () => {
    const idle = status({
      phase: 'idle',
      since: '2026-11-23T13:35:45Z',
      idleSeconds: 725,
      stopAt: '2026-11-23T14:06:45Z',
      signals: QUIET,
      busySignals: [],
    });
    const text = formatIdleSummary(idle, NOW, UTC);
    assert.equal(line(text, 'idle'), 'idle for 12m05s (since 13:35:45)');
    assert.equal(line(text, 'stop'), 'at 14:06:45 (in 18m55s), through plugin aws');
  });

  it('idle in a dry run: the stop line says nothing really stops', () => {
    const idle = status({ phase: 'idle', idleSeconds: 60, stopAt: '2026-11-23T14:06:45Z', busySignals: [], dryRun: true });
    assert.match(line(formatIdleSummary(idle, NOW, UTC), 'stop'), /through plugin aws \(dry run: only logged, the machine keeps running\)$/);
  });

  it('announced: the cancellation window runs', () => {
    const text = formatIdleSummary(
      status({ phase: 'announced', idleSeconds: 1805, stopAt: '2026-11-23T13:48:45Z', busySignals: [] }),
      NOW,
      UTC,
    );
    assert.equal(line(text, 'idle'), 'idle for 30m05s; the stop is announced and any activity before it cancels it');
    assert.equal(line(text, 'stop'), 'at 13:48:45 (in 55s), through plugin aws');
  });

  it('stopping: now', () => {
    const text = formatIdleSummary(status({ phase: 'stopping', idleSeconds: 1865, busySignals: [] }), NOW, UTC);
    assert.equal(line(text, 'idle'), 'idle for 31m05s; stopping now');
    assert.equal(line(text, 'stop'), 'now, through plugin aws');
  });

  it('stopped: the last stop, with its time, plugin and attempts', () => {
    const text = formatIdleSummary(
      status({
        phase: 'stopped',
        busySignals: [],
        lastStop: { at: '2026-11-22T13:00:02Z', outcome: 'stopped', plugin: 'aws', message: 'i-123 stopping', attempts: 1 },
      }),
      NOW,
      UTC,
    );
    assert.equal(line(text, 'idle'), 'idle; stopped; nothing more until the machine is busy again');
    assert.equal(line(text, 'stop'), 'done');
    assert.equal(line(text, 'last stop'), '2026-11-22 13:00:02 (1d00h ago) stopped through aws after 1 attempt: i-123 stopping');
  });

  it('stopped in a dry run: marked as such', () => {
    const text = formatIdleSummary(
      status({
        phase: 'stopped',
        busySignals: [],
        dryRun: true,
        lastStop: { at: '2026-11-23T13:47:00Z', outcome: 'dry-run', plugin: 'local', message: 'recorded', attempts: 1 },
      }),
      NOW,
      UTC,
    );
    assert.match(line(text, 'idle'), /the stop was logged \(dry run\)/);
    assert.match(line(text, 'stop'), /^done \(dry run/);
    assert.equal(line(text, 'last stop'), '2026-11-23 13:47:00 (50s ago) dry run: would have stopped through local after 1 attempt: recorded');
  });

  it('failed: why, and that it is not retried', () => {
    const text = formatIdleSummary(
      status({
        phase: 'failed',
        busySignals: [],
        lastStop: { at: '2026-11-23T13:47:00Z', outcome: 'failed', plugin: 'aws', message: 'UnauthorizedOperation', attempts: 5 },
      }),
      NOW,
      UTC,
    );
    assert.match(line(text, 'idle'), /the stop failed/);
    assert.equal(line(text, 'stop'), 'not retried: UnauthorizedOperation');
    assert.match(line(text, 'last stop'), /failed through aws after 5 attempts: UnauthorizedOperation$/);
  });

  it('starting: no sample yet', () => {
    const text = formatIdleSummary(status({ phase: 'starting', since: null, busySignals: [], signals: [], lastSampleAt: null }), NOW, UTC);
    assert.equal(line(text, 'idle'), 'starting: no complete sample yet (rates need two samples)');
    assert.match(line(text, 'stop'), /^once idle for 30m, at the earliest 14:17:50, through plugin aws$/);
    assert.equal(line(text, 'last sample'), 'none yet');
  });

  it('no provider: says the machine cannot be stopped and what to set', () => {
    const text = formatIdleSummary(status({ phase: 'idle', idleSeconds: 5, busySignals: [], provider: null }), NOW, UTC);
    assert.match(line(text, 'stop'), /^cannot: no plugin to stop through \(set idle\.provider or defaultProvider/);
  });

  it('disabled: off, never stops, no settings lines', () => {
    const text = formatIdleSummary(status({ enabled: false, phase: 'disabled', signals: [], busySignals: [] }), NOW, UTC);
    assert.equal(line(text, 'idle'), 'off (idle.enabled is false)');
    assert.equal(line(text, 'stop'), 'never: idle detection is off');
    assert.ok(!hasLine(text, 'nap time'));
    assert.ok(!hasLine(text, 'last sample'));
  });
});

describe('busyReasons', () => {
  it('names an unreadable signal with why, and a busy check with its detail', () => {
    const signals: SignalReading[] = [
      { signal: 'disk', value: null, threshold: 1024, unit: 'B/s', busy: true, detail: 'cannot read /proc/diskstats' },
      { signal: 'check:backup', value: 1, threshold: 0, unit: 'exit', busy: true, detail: 'exit 0' },
    ];
    assert.equal(
      busyReasons({ signals, busySignals: ['disk', 'check:backup'] }),
      'disk unreadable (cannot read /proc/diskstats), check:backup (exit 0)',
    );
  });

  it('falls back to the name of a busy signal without a reading', () => {
    assert.equal(busyReasons({ signals: [], busySignals: ['gpu'] }), 'gpu');
  });
});

describe('formatSignalTable', () => {
  it('one row per signal: value and threshold in their units, state and detail', () => {
    const rows = formatSignalTable(SIGNALS).split('\n');
    assert.match(rows[0] ?? '', /^SIGNAL\s+VALUE\s+THRESHOLD\s+STATE\s+DETAIL$/);
    assert.match(rows[1] ?? '', /^cpu\s+37\.2 %\s+10 %\s+busy$/);
    assert.match(rows[2] ?? '', /^load\s+0\.42\s+0\.5\s+idle\s+5 min 0\.3, 15 min 0\.2$/);
    assert.match(rows[3] ?? '', /^network\s+1\.2 KiB\/s\s+50 KiB\/s\s+idle\s+received 1000, sent 229$/);
    assert.match(rows[4] ?? '', /^disk\s+0 B\/s\s+1 MiB\/s\s+idle$/);
    assert.match(rows[5] ?? '', /^sessions\s+1\s+0\s+busy\s+alice on pts\/0$/);
    assert.match(rows[6] ?? '', /^gpu\s+-\s+ignored\s+ignored\s+nvidia-smi not found$/);
    assert.match(rows[7] ?? '', /^check:jobs\s+idle\s+-\s+idle\s+exit 1$/);
  });

  it('states: busy, idle, ignored, unreadable, waiting', () => {
    const base: SignalReading = { signal: 'cpu', value: 5, threshold: 10, unit: '%', busy: false };
    assert.equal(signalState(base), 'idle');
    assert.equal(signalState({ ...base, value: 50, busy: true }), 'busy');
    assert.equal(signalState({ ...base, threshold: null }), 'ignored');
    assert.equal(signalState({ ...base, value: null, busy: true }), 'unreadable');
    assert.equal(signalState({ ...base, value: null, busy: false }), 'waiting');
  });
});

describe('units', () => {
  it('rates in binary units', () => {
    assert.equal(formatRate(0), '0 B/s');
    assert.equal(formatRate(512.4), '512 B/s');
    assert.equal(formatRate(1023), '1023 B/s');
    assert.equal(formatRate(1024), '1 KiB/s');
    assert.equal(formatRate(1228.8), '1.2 KiB/s');
    assert.equal(formatRate(51_200), '50 KiB/s');
    assert.equal(formatRate(1_048_575), '1 MiB/s');
    assert.equal(formatRate(3.5 * 1024 ** 3), '3.5 GiB/s');
    assert.equal(formatRate(-1), '0 B/s');
  });

  it('percent, load, sessions and checks', () => {
    assert.equal(formatMeasure(37.24, '%'), '37.2 %');
    assert.equal(formatMeasure(10, '%'), '10 %');
    assert.equal(formatMeasure(0.4213, ''), '0.42');
    assert.equal(formatMeasure(2, 'sessions'), '2');
    assert.equal(formatMeasure(1, 'exit'), 'busy');
    assert.equal(formatMeasure(0, 'exit'), 'idle');
    assert.equal(formatMeasure(3, 'widgets'), '3 widgets');
  });

  it('settings durations without trailing zero units', () => {
    assert.equal(shortDuration(1800), '30m');
    assert.equal(shortDuration(3600), '1h');
    assert.equal(shortDuration(5400), '1h30m');
    assert.equal(shortDuration(10), '10s');
    assert.equal(shortDuration(90), '1m30s');
    assert.equal(shortDuration(0.1), '100ms');
    assert.equal(shortDuration(1.5), '1.5s');
    assert.equal(shortDuration(7 * 86_400), '7d');
    assert.equal(shortDuration(0), '0s');
  });

  it('clock times: the time of day today, the date too on another day, as given when unparseable', () => {
    assert.equal(clockTime('2026-11-23T14:05:31Z', NOW, 'UTC'), '14:05:31');
    assert.equal(clockTime('2026-11-24T00:05:31Z', NOW, 'UTC'), '2026-11-24 00:05:31');
    assert.equal(clockTime('2026-11-23T14:05:31Z', NOW, 'Europe/Berlin'), '15:05:31');
    assert.equal(clockTime('soon', NOW, 'UTC'), 'soon');
  });
});

describe('formatStatusReport', () => {
  const daemon: Omit<DaemonStatus, 'idle'> = {
    version: '0.1.0',
    pid: 7,
    startedAt: '2026-11-23T12:45:00Z',
    uptimeSeconds: 3770,
    pluginsDir: '/etc/snoozebot/plugins',
    socket: '/run/snoozebot/snoozebot.sock',
    stateDir: '/var/lib/snoozebot',
    dryRun: false,
    shuttingDown: false,
    defaultProvider: 'aws',
    plugins: { total: 1, serving: 1, failed: 0 },
    containment: { mode: 'cgroup', detail: '/sys/fs/cgroup/system.slice/snoozebot.service', memory: 'memory.current' },
  };

  it('the daemon lines, then the idle block, then the signal table', () => {
    const text = formatStatusReport({ ...daemon, idle: BUSY }, NOW, UTC);
    const [first, second, third] = text.split('\n\n');
    assert.match(first ?? '', /^daemon:\s+snoozebot 0\.1\.0/);
    assert.match(first ?? '', /^socket:/m);
    assert.match(second ?? '', /^idle:\s+busy for 3m12s/);
    assert.match(third ?? '', /^SIGNAL/);
    assert.equal(text, `${text.split('\n\n')[0]}\n\n${formatIdle(BUSY, NOW, UTC)}`);
  });

  it('an older daemon without the idle field: says so instead of failing', () => {
    const text = formatStatusReport(daemon as DaemonStatus, NOW, UTC);
    assert.match(text, /\n\nidle: unknown \(this daemon does not report idle detection/);
  });

  it('no signal table when there are no readings', () => {
    const text = formatIdle(status({ enabled: false, phase: 'disabled', signals: [], busySignals: [] }), NOW, UTC);
    assert.ok(!text.includes('SIGNAL'));
  });
});

describe('sessions, interfaces and the last phase change in status', () => {
  const sessions: SessionActivity[] = [
    { user: 'alice', line: 'pts/0', host: '10.0.0.5', source: 'utmp', loginTime: '2026-11-23T09:12:00Z', idleSeconds: 4, idleFrom: 'tty', counted: true },
    { user: 'bob', line: 'pts/1', host: '', source: 'utmp', loginTime: '2026-11-20T22:00:00Z', idleSeconds: 3 * 86_400 + 7200, idleFrom: 'tty', counted: false },
    { user: 'carol', line: '', host: '10.0.0.7', service: 'sshd', source: 'logind', loginTime: null, idleSeconds: null, idleFrom: null, counted: true },
  ];

  it('lists each session like w: terminal, origin, login time, idle time, and whether it counts', () => {
    assert.equal(
      formatSessionTable(sessions, NOW, 'UTC'),
      [
        'USER   TTY     FROM      LOGIN@               IDLE   COUNTS',
        'alice  pts/0   10.0.0.5  09:12:00             4s     yes',
        'bob    pts/1   -         2026-11-20 22:00:00  3d02h  no',
        'carol  (sshd)  10.0.0.7  -                    ?      yes (input unknown)',
      ].join('\n'),
    );
  });

  it('formatIdle adds the session table after the signals; the summary names the counted interfaces and the last change', () => {
    const signals = SIGNALS.map((s) =>
      s.signal === 'sessions' ? { ...s, sessions } : s.signal === 'network' ? { ...s, interfaces: ['eth0', 'ens6'] } : s,
    );
    const change = { at: '2026-11-23T13:44:38Z', from: 'idle' as const, to: 'busy' as const, reason: 'busy: cpu 37.24 > 10', signals };
    const text = formatIdle({ ...BUSY, signals, phaseChanges: [change] }, NOW, UTC);
    assert.match(text, /^network on:\s+eth0, ens6$/m);
    assert.match(text, /^last change:\s+13:44:38 \(3m12s ago\) idle → busy: busy: cpu 37\.24 > 10$/m);
    assert.ok(text.indexOf('SIGNAL') < text.indexOf('USER'), 'sessions after the signals');
    assert.match(text, /^carol\s+\(sshd\)/m);
  });
});
