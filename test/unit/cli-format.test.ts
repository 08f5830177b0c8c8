// The CLI's pure formatting: tables, durations, cut errors, key: value blocks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cut,
  formatInstance,
  formatBytes,
  formatKeyValues,
  formatPluginInfo,
  formatPluginTable,
  formatStatus,
  formatTable,
  humanizeDuration,
} from '../../src/cli/format.js';
import type { PluginStatus } from '../../src/daemon/types.js';

const NOW = new Date('2024-05-01T12:00:00.000Z');

function plugin(p: Partial<PluginStatus> & Pick<PluginStatus, 'name' | 'state'>): PluginStatus {
  return {
    path: `/etc/snoozebot/plugins/${p.name}`,
    wanted: 'loaded',
    wantedBy: 'config',
    wantedSince: null,
    start: 'boot',
    job: null,
    reason: '',
    since: '2024-05-01T11:00:00.000Z',
    pid: null,
    servingSince: null,
    restarts: 0,
    recentCrashes: 0,
    lastError: null,
    provider: null,
    apiVersion: null,
    api: null,
    tls: null,
    nextStartAt: null,
    memoryBytes: null,
    ...p,
  };
}

test('humanizeDuration: two units at most, pm2 style', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [0.9, '0s'],
    [45, '45s'],
    [60, '1m00s'],
    [192, '3m12s'],
    [3_599, '59m59s'],
    [3_600, '1h00m'],
    [7_500, '2h05m'],
    [86_400, '1d00h'],
    [3 * 86_400 + 4 * 3_600 + 59, '3d04h'],
    [-5, '0s'],
    [Number.NaN, '0s'],
  ];
  for (const [seconds, text] of cases) assert.equal(humanizeDuration(seconds), text, String(seconds));
});

test('cut: one line, at most max characters, an ellipsis when cut', () => {
  assert.equal(cut('short'), 'short');
  assert.equal(cut('a\n  b\tc'), 'a b c');
  const long = 'x'.repeat(100);
  assert.equal(cut(long, 60), `${'x'.repeat(59)}…`);
  assert.equal([...cut(long, 60)].length, 60);
  assert.equal(cut('x'.repeat(60), 60), 'x'.repeat(60));
  assert.equal(cut('é'.repeat(70), 10), `${'é'.repeat(9)}…`);
});

test('formatTable aligns columns and does not pad the last one', () => {
  assert.equal(formatTable([['A', 'BB', 'C'], ['aaa', 'b', 'c']]), 'A    BB  C\naaa  b   c');
});

test('formatKeyValues aligns the values', () => {
  assert.equal(formatKeyValues([['id', 'i-1'], ['launch time', 'x']]), 'id:          i-1\nlaunch time: x');
});

test('formatPluginTable: header, uptime, provider, cut last error', () => {
  const text = formatPluginTable(
    [
      plugin({
        name: 'aws',
        state: 'serving',
        pid: 42,
        servingSince: '2024-05-01T11:56:48.000Z',
        restarts: 2,
        provider: { name: 'aws', version: '1.2.0' },
        api: '0.1.0',
      }),
      plugin({ name: 'broken', state: 'failed', restarts: 5, lastError: `exited with code 1: ${'y'.repeat(100)}` }),
      plugin({ name: 'guide', state: 'serving', pid: 43, servingSince: '2024-05-01T11:59:00.000Z', api: 'unversioned (plugin does not implement GetAPIVersion)' }),
    ],
    NOW,
  );
  const lines = text.split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0] ?? '', /^NAME\s+WANTED\s+STATE\s+PID\s+UPTIME\s+RESTARTS\s+PROVIDER\s+API\s+LAST ERROR$/);
  assert.match(lines[1] ?? '', /^aws\s+loaded\s+serving\s+42\s+3m12s\s+2\s+aws 1\.2\.0\s+0\.1\.0\s+-$/);
  assert.match(lines[2] ?? '', /^broken\s+loaded\s+failed\s+-\s+-\s+5\s+-\s+-\s+exited with code 1: y+…$/);
  assert.match(lines[3] ?? '', /^guide\s+loaded\s+serving\s+43\s+1m00s\s+0\s+-\s+unversioned\s+-$/);
  const error = (lines[2] ?? '').slice((lines[0] ?? '').indexOf('LAST ERROR'));
  assert.equal([...error].length, 60);
  assert.match(formatPluginTable([], NOW), /^no plugins/);
});

test('formatPluginInfo shows the full last error and the provider', () => {
  const text = formatPluginInfo(
    plugin({ name: 'broken', state: 'failed', reason: 'too many crashes', lastError: 'line one\nline two', provider: { name: 'gcp', version: '0.3.0' } }),
    NOW,
  );
  assert.match(text, /^name:\s+broken$/m);
  assert.match(text, /^state:\s+failed$/m);
  assert.match(text, /^since:\s+2024-05-01T11:00:00\.000Z \(1h00m ago\)$/m);
  assert.match(text, /^provider:\s+gcp 0\.3\.0$/m);
  assert.match(text, /^last error:\s+line one\n  line two$/m);
  assert.match(text, /^api:\s+-$/m);
  assert.match(text, /^tls:\s+-$/m);
});

test('formatPluginInfo: api as the daemon words it, tls on (AutoMTLS) or off', () => {
  const unversioned = formatPluginInfo(
    plugin({ name: 'guide', state: 'serving', api: 'unversioned (plugin does not implement GetAPIVersion)', tls: false }),
    NOW,
  );
  assert.match(unversioned, /^api:\s+unversioned \(plugin does not implement GetAPIVersion\)$/m);
  assert.match(unversioned, /^tls:\s+off$/m);
  const mtls = formatPluginInfo(plugin({ name: 'aws', state: 'serving', apiVersion: '0.1.0', api: '0.1.0', tls: true }), NOW);
  assert.match(mtls, /^api:\s+0\.1\.0$/m);
  assert.match(mtls, /^tls:\s+on \(AutoMTLS\)$/m);
});

test('formatPluginInfo: memory', () => {
  assert.match(formatPluginInfo(plugin({ name: 'idle', state: 'stopped' }), NOW), /^memory:\s+-$/m);
  assert.match(formatPluginInfo(plugin({ name: 'aws', state: 'serving', memoryBytes: 44_040_192 }), NOW), /^memory:\s+42 MiB$/m);
});

test('formatBytes: binary units', () => {
  assert.deepEqual([0, 512, 1536, 10 * 1024, 44_040_192, 3 * 1024 ** 3].map(formatBytes), ['0 B', '512 B', '1.5 KiB', '10 KiB', '42 MiB', '3.0 GiB']);
});

test('formatStatus and formatInstance', () => {
  const status = formatStatus({
    version: '0.1.0',
    pid: 7,
    startedAt: '2024-05-01T11:00:00.000Z',
    uptimeSeconds: 3_725,
    pluginsDir: '/etc/snoozebot/plugins',
    socket: '/run/snoozebot/snoozebot.sock',
    stateDir: '/var/lib/snoozebot',
    dryRun: true,
    shuttingDown: false,
    defaultProvider: null,
    plugins: { total: 3, serving: 2, failed: 1 },
    containment: { mode: 'process-group', detail: 'no cgroup2 file system is mounted (see /proc/self/mountinfo)', memory: 'rss' },
  });
  assert.match(status, /^containment:\s+process-group \(no cgroup2 file system is mounted \(see \/proc\/self\/mountinfo\)\)$/m);
  assert.match(status, /^daemon:\s+snoozebot 0\.1\.0, pid 7, up 1h02m/m);
  assert.match(status, /^plugins:\s+3 total, 2 serving, 1 failed$/m);
  assert.match(status, /^default provider:\s+-$/m);
  assert.match(status, /^dry run:\s+yes/m);
  const instance = formatInstance('aws', {
    id: 'i-1',
    name: 'web',
    type: 't3.micro',
    region: 'eu-west-1',
    zone: '',
    state: 'running',
    launchTime: '2024-05-01T10:00:00.000Z',
  });
  assert.match(instance, /^plugin:\s+aws$/m);
  assert.match(instance, /^zone:\s+-$/m);
  assert.match(instance, /^launch time:\s+2024-05-01T10:00:00\.000Z$/m);
});
