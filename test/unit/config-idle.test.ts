import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkConfig,
  ConfigError,
  DEFAULT_DAEMON_SETTINGS,
  ENV_VARS,
  envOverrides,
  loadConfig,
  parseConfig,
  resolveConfig,
  resolveIdleSettings,
} from '../../src/daemon/config/index.js';
import type { ConfigIssue, DaemonConfig, LoadConfigOptions } from '../../src/daemon/config/index.js';
import { DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_IDLE_SETTINGS } from '../../src/daemon/idle/settings.js';
import { REPO_ROOT } from '../helpers/paths.js';

function fixture(name: string): string {
  return readFileSync(join(REPO_ROOT, 'test/fixtures/config', name), 'utf8');
}

function config(text: string): DaemonConfig {
  return resolveConfig(parseConfig(text, 'config.json'), '/etc/snoozebot/config.json');
}

/** The issues of `{ "idle": <section> }`, written on one line. */
function idleIssues(section: unknown): readonly ConfigIssue[] {
  return checkConfig(JSON.stringify({ idle: section })).issues;
}

/** The one issue `section` has; fails when it has none or several. */
function onlyIssue(section: unknown): ConfigIssue {
  const issues = idleIssues(section);
  assert.equal(issues.length, 1, `expected one issue, got: ${JSON.stringify(issues, null, 2)}`);
  const [issue] = issues;
  assert.ok(issue !== undefined);
  return issue;
}

function issueAt(issues: readonly ConfigIssue[], path: string): ConfigIssue {
  const found = issues.filter((candidate) => candidate.path === path);
  assert.equal(found.length, 1, `expected one issue for ${path}; got: ${issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`);
  const [issue] = found;
  assert.ok(issue !== undefined);
  return issue;
}

describe('idle config: defaults and merging', () => {
  it('without an idle section the daemon runs on DEFAULT_IDLE_SETTINGS', () => {
    assert.deepEqual(config('{}').idle, DEFAULT_IDLE_SETTINGS);
    assert.deepEqual(config('{ "idle": {} }').idle, DEFAULT_IDLE_SETTINGS);
    assert.deepEqual(resolveIdleSettings(undefined), DEFAULT_IDLE_SETTINGS);
    assert.deepEqual(DEFAULT_DAEMON_SETTINGS.idle, DEFAULT_IDLE_SETTINGS);
  });

  it('the documented defaults', () => {
    assert.deepEqual(DEFAULT_IDLE_SETTINGS, {
      enabled: true,
      napTimeMs: 1_800_000,
      checkIntervalMs: 10_000,
      graceMs: 600_000,
      cancelWindowMs: 60_000,
      provider: null,
      thresholds: { cpuPercent: 10, load1: 0.5, load1PerCore: null, networkBytesPerSecond: 51_200, diskBytesPerSecond: 1_048_576, sessions: 0, gpuPercent: 5 },
      sessionIdleMs: 1_800_000,
      networkInterfaces: null,
      checks: [],
      webhookUrl: null,
      wall: false,
      stopAttempts: 5,
      root: '/',
    });
  });

  it('reads every key of a full section (comments, trailing commas), with the check timeout defaulted', () => {
    const idle = config(fixture('idle.json')).idle;
    assert.deepEqual(idle, {
      enabled: false,
      napTimeMs: 3_600_000,
      checkIntervalMs: 30_000,
      graceMs: 1_200_000,
      cancelWindowMs: 120_000,
      provider: 'aws',
      thresholds: { cpuPercent: 25.5, load1: 1.5, load1PerCore: null, networkBytesPerSecond: 102_400, diskBytesPerSecond: 2_097_152, sessions: 1, gpuPercent: null },
      sessionIdleMs: 600_000,
      networkInterfaces: ['eth0', 'wg*'],
      checks: [
        { name: 'jobs', command: 'pgrep -x make', timeoutMs: DEFAULT_CHECK_TIMEOUT_MS },
        { name: 'backup.running', command: 'test -e /run/backup.lock', timeoutMs: 1000 },
      ],
      webhookUrl: 'https://hooks.example.com/snoozebot',
      wall: true,
      stopAttempts: 3,
      root: '/',
    });
  });

  it('merges thresholds key by key: setting cpuPercent keeps the other defaults', () => {
    const idle = config('{ "idle": { "thresholds": { "cpuPercent": 50 } } }').idle;
    assert.deepEqual(idle.thresholds, { ...DEFAULT_IDLE_SETTINGS.thresholds, cpuPercent: 50 });
  });

  it('null in a threshold leaves that signal out; it is not "use the default"', () => {
    const idle = config('{ "idle": { "thresholds": { "sessions": null, "gpuPercent": null } } }').idle;
    assert.equal(idle.thresholds.sessions, null);
    assert.equal(idle.thresholds.gpuPercent, null);
    assert.equal(idle.thresholds.cpuPercent, DEFAULT_IDLE_SETTINGS.thresholds.cpuPercent);
  });

  it('keys not written keep their defaults; null provider and webhook are accepted', () => {
    const idle = config('{ "idle": { "napTimeMs": 60000, "provider": null, "webhookUrl": null } }').idle;
    // sessionIdleMs, not written, follows the nap time.
    assert.deepEqual(idle, { ...DEFAULT_IDLE_SETTINGS, napTimeMs: 60_000, sessionIdleMs: 60_000 });
  });

  it('sessionIdleMs: unset it is the nap time, null counts every live session, a number is kept', () => {
    assert.equal(config('{ "idle": { "napTimeMs": 2700000 } }').idle.sessionIdleMs, 2_700_000);
    assert.equal(config('{ "idle": { "sessionIdleMs": null } }').idle.sessionIdleMs, null);
    assert.equal(config('{ "idle": { "napTimeMs": 2700000, "sessionIdleMs": 10000 } }').idle.sessionIdleMs, 10_000);
  });

  it('networkInterfaces: null counts the physical interfaces, a list replaces that', () => {
    assert.equal(config('{ "idle": { "networkInterfaces": null } }').idle.networkInterfaces, null);
    assert.deepEqual(config('{ "idle": { "networkInterfaces": ["ens5", "tun*"] } }').idle.networkInterfaces, ['ens5', 'tun*']);
  });

  it('load1PerCore replaces the absolute load1 threshold', () => {
    const idle = config('{ "idle": { "thresholds": { "load1PerCore": 0.3 } } }').idle;
    assert.deepEqual([idle.thresholds.load1, idle.thresholds.load1PerCore], [null, 0.3]);
    // With load1 null written too, the same.
    const both = config('{ "idle": { "thresholds": { "load1": null, "load1PerCore": 0.3 } } }').idle;
    assert.deepEqual([both.thresholds.load1, both.thresholds.load1PerCore], [null, 0.3]);
  });

  it('refuses load1 and load1PerCore together, on load1PerCore', () => {
    const issue = onlyIssue({ thresholds: { load1: 2, load1PerCore: 0.5 } });
    assert.equal(issue.path, 'idle.thresholds.load1PerCore');
    assert.match(issue.message, /^cannot be set together with load1 \(2\): load1PerCore replaces the absolute threshold; keep one of them/);
  });

  it('refuses a sessionIdleMs below the terminal clock\'s 8 s steps, saying why', () => {
    const issue = onlyIssue({ sessionIdleMs: 5000 });
    assert.equal(issue.path, 'idle.sessionIdleMs');
    assert.match(issue.message, /^expected a whole number of milliseconds from 10000 to 604800000 \(7 days\), or null to count every live session .*only every 8 s\), saw 5000$/);
    assert.equal(onlyIssue({ sessionIdleMs: '30m' }).path, 'idle.sessionIdleMs');
  });

  it('refuses an empty interface list and names that cannot be interfaces', () => {
    const empty = onlyIssue({ networkInterfaces: [] });
    assert.equal(empty.path, 'idle.networkInterfaces');
    assert.match(empty.message, /^expected at least one interface name; null counts the physical interfaces, and thresholds\.networkBytesPerSecond: null leaves the network out$/);
    const long = onlyIssue({ networkInterfaces: ['eth0', 'averyveryverylongname0'] });
    assert.equal(long.path, 'idle.networkInterfaces[1]');
    assert.match(long.message, /^expected an interface name such as "eth0" or a pattern such as "ens\*" \(up to 15 characters, no "\/", ":" or blanks\), saw "averyveryverylongname0"$/);
    assert.equal(onlyIssue({ networkInterfaces: ['eth 0'] }).path, 'idle.networkInterfaces[0]');
    assert.equal(onlyIssue({ networkInterfaces: 'eth0' }).path, 'idle.networkInterfaces');
  });

  it('accepts the bounds themselves', () => {
    const idle = config(
      '{ "idle": { "napTimeMs": 604800000, "checkIntervalMs": 3600000, "graceMs": 0, "cancelWindowMs": 0, "stopAttempts": 20, ' +
        '"thresholds": { "cpuPercent": 0, "gpuPercent": 100, "load1": 0, "sessions": 0, "networkBytesPerSecond": 0, "diskBytesPerSecond": 0 }, ' +
        '"checks": [ { "name": "A-z_0.9", "command": "x", "timeoutMs": 600000 }, { "name": "b", "command": "y", "timeoutMs": 1 } ] } }',
    ).idle;
    assert.equal(idle.napTimeMs, 604_800_000);
    assert.equal(idle.checkIntervalMs, 3_600_000);
    assert.equal(idle.checks.length, 2);
    assert.equal(config('{ "idle": { "napTimeMs": 1000, "checkIntervalMs": 100 } }').idle.napTimeMs, 1000);
  });

  it('accepts http and https webhooks', () => {
    assert.equal(config('{ "idle": { "webhookUrl": "http://10.0.0.1:8080/hook" } }').idle.webhookUrl, 'http://10.0.0.1:8080/hook');
    assert.equal(config('{ "idle": { "webhookUrl": "https://example.com/x?y=1" } }').idle.webhookUrl, 'https://example.com/x?y=1');
  });
});

describe('idle config: each bad value is one clear error at its position', () => {
  const issues = checkConfig(fixture('idle-problems.json')).issues;
  const cases: ReadonlyArray<readonly [string, string, RegExp]> = [
    ['idle.enabled', '3:16', /^expected true or false, saw "yes"$/],
    ['idle.napTimeMs', '4:18', /^expected a whole number of milliseconds from 1000 to 604800000 \(7 days\), saw 500$/],
    ['idle.checkIntervalMs', '5:24', /^expected a whole number of milliseconds from 100 to 3600000 \(1 h\), saw 50$/],
    ['idle.graceMs', '6:16', /^expected a whole number of milliseconds from 0 to 86400000 \(24 h\), saw -1$/],
    ['idle.cancelWindowMs', '7:23', /^expected a whole number of milliseconds from 0 to 3600000 \(1 h\), saw 3600001$/],
    ['idle.provider', '8:17', /^invalid plugin name "\.hidden"/],
    ['idle.thresholds.cpuPercent', '10:21', /^expected a percentage from 0 to 100, or null to leave the signal out, saw 101$/],
    ['idle.thresholds.load1', '11:16', /^expected a load average ≥ 0, or null to leave the signal out, saw -0\.5$/],
    ['idle.thresholds.networkBytesPerSecond', '12:32', /^expected a number of bytes per second ≥ 0, or null to leave the signal out, saw "50k"$/],
    ['idle.thresholds.diskBytesPerSecond', '13:29', /^expected a number of bytes per second ≥ 0, or null.*saw -1$/],
    ['idle.thresholds.sessions', '14:19', /^expected a whole number of sessions ≥ 0 .*saw 0\.5$/],
    ['idle.thresholds.gpuPercent', '15:21', /^expected a percentage from 0 to 100, or null to leave the signal out, saw true$/],
    ['idle.thresholds.cpu', '16:7', /^unknown key "cpu"; did you mean "cpuPercent"\?$/],
    ['idle.checks[0].name', '19:17', /^expected a name of letters, digits, "_", "\." and "-", saw "a b"$/],
    ['idle.checks[0].command', '19:35', /^expected a shell command, run with \/bin\/sh -c \(not blank\), saw " {2}"$/],
    ['idle.checks[0].timeoutMs', '19:54', /^expected a whole number of milliseconds from 1 to 600000 \(10 min\), saw 600001$/],
    ['idle.checks[1].name', '20:7', /^missing: every check needs "name" \(a name of letters, digits, "_", "\." and "-"\)$/],
    ['idle.checks[3].name', '22:17', /^duplicate check name "jobs": idle\.checks\[2\] has it already/],
    ['idle.checks[3].command', '22:36', /^expected a shell command, run with \/bin\/sh -c, saw 1$/],
    ['idle.webhookUrl', '24:19', /^expected an http:\/\/ or https:\/\/ URL, saw "ftp:\/\/files\.example\.com\/": the announcement is an HTTP POST, so ftp: URLs cannot receive it$/],
    ['idle.wall', '25:13', /^expected true or false, saw "no"$/],
    ['idle.stopAttempts', '26:21', /^expected a whole number from 1 to 20, saw 0$/],
    ['idle.napTime', '27:5', /^unknown key "napTime"; did you mean "napTimeMs"\?$/],
  ];

  for (const [path, position, message] of cases) {
    it(`${path} at ${position}`, () => {
      const issue = issueAt(issues, path);
      assert.equal(`${issue.line}:${issue.column}`, position);
      assert.match(issue.message, message);
    });
  }

  it('nothing else: one issue per bad value, sorted by position', () => {
    assert.deepEqual(
      issues.map((i) => i.path),
      cases.map(([path]) => path),
    );
  });

  it('the error lists them as file:line:col: path: message', () => {
    assert.throws(
      () => parseConfig(fixture('idle-problems.json'), '/etc/snoozebot/config.json'),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /^\/etc\/snoozebot\/config\.json:4:18: idle\.napTimeMs: expected a whole number of milliseconds/m);
        assert.match(error.message, /^\/etc\/snoozebot\/config\.json:22:17: idle\.checks\[3\]\.name: duplicate check name "jobs"/m);
        return true;
      },
    );
  });
});

describe('idle config: wrong shapes and single values', () => {
  it('idle must be an object', () => {
    assert.match(onlyIssue([]).message, /^expected an object with idle detection settings, saw a list$/);
    assert.match(onlyIssue(true).message, /^expected an object with idle detection settings, saw true$/);
  });

  it('thresholds must be an object, checks a list, each check an object', () => {
    assert.match(onlyIssue({ thresholds: [] }).message, /^expected an object of thresholds/);
    assert.match(onlyIssue({ checks: {} }).message, /^expected a list of checks/);
    const issue = onlyIssue({ checks: ['pgrep make'] });
    assert.equal(issue.path, 'idle.checks[0]');
    assert.match(issue.message, /^expected a check object, e\.g\. \{ "name": "jobs", "command": "pgrep -x make" \}, saw "pgrep make"$/);
  });

  it('milliseconds must be whole', () => {
    assert.match(onlyIssue({ graceMs: 1.5 }).message, /^expected a whole number of milliseconds from 0 to/);
    assert.match(onlyIssue({ napTimeMs: '30m' }).message, /saw "30m"$/);
  });

  it('a check needs a command, not blank; a name, not empty', () => {
    const missing = onlyIssue({ checks: [{ name: 'x' }] });
    assert.equal(missing.path, 'idle.checks[0].command');
    assert.match(missing.message, /^missing: every check needs "command"/);
    assert.match(onlyIssue({ checks: [{ name: '', command: 'true' }] }).message, /^expected a name of letters.*saw ""$/);
    assert.match(onlyIssue({ checks: [{ name: 'x/y', command: 'true' }] }).message, /saw "x\/y"$/);
    assert.match(onlyIssue({ checks: [{ name: 'x', command: '' }] }).message, /\(not blank\), saw ""$/);
  });

  it('every other webhook scheme or text is refused', () => {
    for (const url of ['file:///etc/passwd', 'mailto:ops@example.com', 'ws://example.com/']) {
      const issue = onlyIssue({ webhookUrl: url });
      assert.equal(issue.path, 'idle.webhookUrl');
      assert.match(issue.message, /^expected an http:\/\/ or https:\/\/ URL, saw ".*": the announcement is an HTTP POST/, url);
    }
    assert.equal(onlyIssue({ webhookUrl: 'hooks.example.com/x' }).message, 'expected an http:// or https:// URL, saw "hooks.example.com/x"');
    assert.match(onlyIssue({ webhookUrl: 42 }).message, /^expected an http:\/\/ or https:\/\/ URL, or null for none, saw 42$/);
  });

  it('a provider must be a plugin name or null', () => {
    assert.match(onlyIssue({ provider: 'a/b' }).message, /^invalid plugin name "a\/b"/);
    assert.match(onlyIssue({ provider: 3 }).message, /^expected a plugin name \(its file name\), saw 3$/);
  });
});

describe('idle config: keys in the wrong place', () => {
  it('root is not settable from the file, and says why', () => {
    const issue = onlyIssue({ root: '/tmp/fake' });
    assert.equal(issue.path, 'idle.root');
    assert.match(issue.message, /^not settable in the file: .*SNOOZEBOT_IDLE_ROOT/);
  });

  it('a threshold directly under idle points at idle.thresholds', () => {
    assert.equal(onlyIssue({ cpuPercent: 5 }).message, 'not allowed here: it is a threshold; set it under idle.thresholds.cpuPercent');
  });

  it('idle keys at the top level point at the idle section', () => {
    const issues = checkConfig('{ "napTimeMs": 60000, "sessions": 0, "enabled": true, "provider": "aws" }').issues;
    assert.match(issueAt(issues, 'napTimeMs').message, /idle detection setting; set it under idle\.napTimeMs$/);
    assert.match(issueAt(issues, 'sessions').message, /set it under idle\.thresholds\.sessions$/);
    assert.match(issueAt(issues, 'enabled').message, /plugins\.<name>\.enabled .* or idle\.enabled/);
    assert.match(issueAt(issues, 'provider').message, /"defaultProvider" .* or idle\.provider/);
  });

  it('suggests the nearest key in a check and among thresholds', () => {
    const issues = idleIssues({ checks: [{ name: 'a', command: 'b', timeout: 5 }], thresholds: { network: 5 }, interval: 5 });
    assert.equal(issueAt(issues, 'idle.checks[0].timeout').message, 'unknown key "timeout"; did you mean "timeoutMs"?');
    assert.equal(issueAt(issues, 'idle.thresholds.network').message, 'unknown key "network"; did you mean "networkBytesPerSecond"?');
    assert.match(issueAt(issues, 'idle.interval').message, /^unknown key "interval"; the keys allowed here are: enabled, napTimeMs, checkIntervalMs/);
  });
});

describe('idle config: the check interval must not exceed the nap time', () => {
  it('both set: the message names both values, at checkIntervalMs', () => {
    const issue = onlyIssue({ napTimeMs: 60_000, checkIntervalMs: 120_000 });
    assert.equal(issue.path, 'idle.checkIntervalMs');
    assert.equal(
      issue.message,
      'must be ≤ napTimeMs (60000 = 1 min), saw 120000 = 2 min: the machine is sampled once per check interval, so a shorter nap could never be observed',
    );
  });

  it('only the interval set: compared with the built-in nap time', () => {
    const issue = onlyIssue({ checkIntervalMs: 3_600_000 });
    assert.equal(issue.path, 'idle.checkIntervalMs');
    assert.match(issue.message, /^must be ≤ napTimeMs \(1800000 = 30 min, the built-in default\), saw 3600000 = 1 h:/);
  });

  it('only the nap time set: compared with the built-in interval, at napTimeMs', () => {
    const issue = onlyIssue({ napTimeMs: 5_000 });
    assert.equal(issue.path, 'idle.napTimeMs');
    assert.match(issue.message, /^must be ≥ checkIntervalMs \(10000 = 10 s, the built-in default\), saw 5000 = 5 s:/);
  });

  it('equal is fine; an invalid value gets only its own message', () => {
    assert.deepEqual(idleIssues({ napTimeMs: 10_000, checkIntervalMs: 10_000 }), []);
    assert.match(onlyIssue({ napTimeMs: 500, checkIntervalMs: 1000 }).message, /^expected a whole number of milliseconds from 1000/);
  });

  it('the position is the offending value', () => {
    const issues = checkConfig('{\n  "idle": {\n    "napTimeMs": 60000,\n    "checkIntervalMs": 120000\n  }\n}').issues;
    assert.equal(`${issues[0]?.line}:${issues[0]?.column}`, '4:24');
  });
});

describe('idle config: environment overrides', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snoozebot-config-idle-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function load(text: string | undefined, env: Record<string, string>): Promise<DaemonConfig> {
    const path = join(dir, 'config.json');
    if (text === undefined) return loadConfig({ path: join(dir, 'absent.json'), required: false, env, flags: {} });
    await writeFile(path, text);
    return loadConfig({ path, env, flags: {} });
  }

  async function loadError(options: LoadConfigOptions): Promise<ConfigError> {
    try {
      await loadConfig(options);
    } catch (error) {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      return error;
    }
    assert.fail('loadConfig accepted an invalid configuration');
  }

  it('names the variables', () => {
    assert.equal(ENV_VARS.idleEnabled, 'SNOOZEBOT_IDLE_ENABLED');
    assert.equal(ENV_VARS.idleNapTimeMs, 'SNOOZEBOT_IDLE_NAP_TIME_MS');
    assert.equal(ENV_VARS.idleRoot, 'SNOOZEBOT_IDLE_ROOT');
  });

  it('override the file; everything else keeps the file value', async () => {
    const config = await load(fixture('idle.json'), {
      SNOOZEBOT_IDLE_ENABLED: 'yes',
      SNOOZEBOT_IDLE_NAP_TIME_MS: '7200000',
      SNOOZEBOT_IDLE_ROOT: '/tmp/fake-root',
    });
    assert.equal(config.idle.enabled, true);
    assert.equal(config.idle.napTimeMs, 7_200_000);
    assert.equal(config.idle.root, '/tmp/fake-root');
    assert.equal(config.idle.checkIntervalMs, 30_000);
    assert.equal(config.idle.provider, 'aws');
  });

  it('override the defaults without a file', async () => {
    const config = await load(undefined, { SNOOZEBOT_IDLE_ENABLED: 'false', SNOOZEBOT_IDLE_NAP_TIME_MS: ' 60000 ' });
    // sessionIdleMs follows the nap time the variable sets.
    assert.deepEqual(config.idle, { ...DEFAULT_IDLE_SETTINGS, enabled: false, napTimeMs: 60_000, sessionIdleMs: 60_000 });
  });

  it('unset variables change nothing, and produce no idle override', () => {
    assert.deepEqual(envOverrides({}, '/').overrides, {});
    assert.deepEqual(envOverrides({ SNOOZEBOT_IDLE_ENABLED: '0' }, '/').overrides, { idle: { enabled: false } });
  });

  it('refuse bad values, each named by its variable, without masking the file', async () => {
    const { issues, overrides } = envOverrides(
      { SNOOZEBOT_IDLE_ENABLED: 'on', SNOOZEBOT_IDLE_NAP_TIME_MS: '30m', SNOOZEBOT_IDLE_ROOT: 'fixtures/root' },
      '/home/op',
    );
    assert.deepEqual(overrides, {});
    assert.deepEqual(issues, [
      { path: 'SNOOZEBOT_IDLE_ENABLED', line: 0, column: 0, message: 'expected true, false, 1, 0, yes or no, saw "on"' },
      {
        path: 'SNOOZEBOT_IDLE_NAP_TIME_MS',
        line: 0,
        column: 0,
        message: 'expected a whole number of milliseconds from 1000 to 604800000 (7 days), saw "30m"',
      },
      { path: 'SNOOZEBOT_IDLE_ROOT', line: 0, column: 0, message: 'expected an absolute path (starting with "/"), saw "fixtures/root"' },
    ]);
  });

  it('refuse a nap time out of bounds or not whole', () => {
    for (const value of ['999', '604800001', '1e6', '1000.5', '', '-1000']) {
      const { issues } = envOverrides({ SNOOZEBOT_IDLE_NAP_TIME_MS: value }, '/');
      assert.equal(issues.length, 1, value);
      assert.equal(issues[0]?.path, 'SNOOZEBOT_IDLE_NAP_TIME_MS');
    }
    assert.equal(envOverrides({ SNOOZEBOT_IDLE_ROOT: '' }, '/').issues.length, 1);
  });

  it('a nap time from the environment shorter than the interval is refused on the variable', async () => {
    await writeFile(join(dir, 'interval.json'), '{ "idle": { "checkIntervalMs": 60000 } }');
    const error = await loadError({ path: join(dir, 'interval.json'), env: { SNOOZEBOT_IDLE_NAP_TIME_MS: '30000' }, flags: {} });
    assert.deepEqual(error.issues, [
      {
        path: 'SNOOZEBOT_IDLE_NAP_TIME_MS',
        line: 0,
        column: 0,
        message:
          'must be ≥ idle.checkIntervalMs (60000 = 1 min, from the file), saw 30000 = 30 s: the machine is sampled once per check interval, so a shorter nap could never be observed',
      },
    ]);
    const builtIn = await loadError({ path: join(dir, 'absent.json'), required: false, env: { SNOOZEBOT_IDLE_NAP_TIME_MS: '5000' }, flags: {} });
    assert.match(builtIn.issues[0]?.message ?? '', /^must be ≥ idle\.checkIntervalMs \(10000 = 10 s, the built-in default\)/);
  });

  it('resolveIdleSettings applies override layers in order', () => {
    const idle = resolveIdleSettings({ napTimeMs: 60_000 }, [{ napTimeMs: 120_000, root: '/a' }, undefined, { root: '/b' }]);
    assert.equal(idle.napTimeMs, 120_000);
    assert.equal(idle.root, '/b');
  });
});
