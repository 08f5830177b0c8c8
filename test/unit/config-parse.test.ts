import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkConfig, ConfigError, parseConfig } from '../../src/daemon/config/index.js';
import type { ConfigIssue } from '../../src/daemon/config/index.js';
import { REPO_ROOT } from '../helpers/paths.js';

function fixture(name: string): string {
  return readFileSync(join(REPO_ROOT, 'test/fixtures/config', name), 'utf8');
}

/** The ConfigError parseConfig throws for `text`. */
function configError(text: string, fileName = 'config.json'): ConfigError {
  try {
    parseConfig(text, fileName);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('parseConfig accepted an invalid config');
}

function issueAt(issues: readonly ConfigIssue[], path: string): ConfigIssue {
  const issue = issues.find((candidate) => candidate.path === path);
  assert.ok(issue, `no issue for ${path}; got: ${issues.map((i) => i.path).join(', ')}`);
  return issue;
}

describe('parseConfig: valid files', () => {
  it('reads every key of a full file with comments and trailing commas', () => {
    const file = parseConfig(fixture('full.json'), 'full.json');
    assert.equal(file.pluginsDir, '/opt/snoozebot/plugins');
    assert.equal(file.socket, '/run/sb/sb.sock');
    assert.equal(file.stateDir, '/srv/snoozebot');
    assert.equal(file.logLevel, 'debug');
    assert.equal(file.dryRun, true);
    assert.equal(file.defaultProvider, 'aws');
    assert.equal(file.autoload, false);
    assert.deepEqual(file.defaults?.restart, {
      initialBackoffMs: 200,
      maxBackoffMs: 60000,
      jitter: 0.1,
      maxCrashes: 3,
      crashWindowMs: 120000,
      resetAfterMs: 90000,
    });
    assert.deepEqual(file.defaults?.health, { intervalMs: 10000, timeoutMs: 2000, misses: 4 });
    assert.deepEqual(file.plugins?.aws?.env, { AWS_REGION: 'eu-west-1', AWS_PROFILE: 'snooze' });
    assert.equal(file.plugins?.local?.enabled, false);
  });

  it('normalizes a sha256 pin to lower-case hex without its prefix', () => {
    const file = parseConfig(fixture('full.json'), 'full.json');
    assert.equal(file.plugins?.aws?.sha256, '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
  });

  it('treats an empty or comment-only file as all defaults', () => {
    assert.deepEqual(parseConfig('', 'c.json'), {});
    assert.deepEqual(parseConfig('// everything commented out\n/* { "dryRun": true } */\n', 'c.json'), {});
    assert.deepEqual(parseConfig('{}', 'c.json'), {});
  });

  it('accepts null as defaultProvider', () => {
    assert.equal(parseConfig('{ "defaultProvider": null }', 'c.json').defaultProvider, null);
  });

  it('accepts plugin names that are also Object.prototype members', () => {
    const file = parseConfig('{ "plugins": { "constructor": { "enabled": true }, "toString": {} } }', 'c.json');
    assert.deepEqual(Object.entries(file.plugins ?? {}).sort(), [
      ['constructor', { enabled: true }],
      ['toString', {}],
    ]);
  });
});

describe('parseConfig: syntax errors', () => {
  it('points at the line and column of the error, with the file name as given', () => {
    const error = configError(fixture('syntax-error.json'), 'etc/config.json');
    const first = error.issues[0];
    assert.ok(first);
    assert.equal(first.line, 4);
    assert.equal(first.column, 14);
    assert.match(first.message, /syntax error: expected ":"/);
    assert.match(error.message, /^etc\/config\.json:4:14: syntax error: expected ":" after the key$/m);
  });

  it('reports an unclosed comment and string', () => {
    assert.match(configError('{\n  /* open\n}').message, /comment is not closed/);
    assert.match(configError('{ "socket": "/run/x }').message, /string is not closed/);
  });

  it('keeps columns right on line 1 after a byte order mark', () => {
    const issue = configError('\uFEFF{ "dryRun" true }').issues[0];
    assert.equal(issue?.line, 1);
    assert.equal(issue?.column, 12);
  });

  it('counts CRLF line endings as one line break', () => {
    const issue = configError('{\r\n\r\n  "dryRun": 3\r\n}').issues[0];
    assert.equal(issue?.line, 3);
    assert.equal(issue?.column, 13);
  });

  it('refuses a top level that is not an object', () => {
    const issue = configError('[ 1, 2 ]').issues[0];
    assert.equal(issue?.path, '');
    assert.match(issue?.message ?? '', /expected an object .* at the top level, saw a list/);
  });
});

describe('parseConfig: unknown keys', () => {
  it('suggests the nearest known key', () => {
    const error = configError('{\n  "pluginDir": "/x"\n}');
    const issue = issueAt(error.issues, 'pluginDir');
    assert.equal(issue.line, 2);
    assert.equal(issue.column, 3);
    assert.equal(issue.message, 'unknown key "pluginDir"; did you mean "pluginsDir"?');
  });

  it('suggests keys spelt in another case convention, in nested objects', () => {
    const error = configError('{ "plugins": { "aws": { "restart": { "max_crashes": 3 } } } }');
    assert.match(issueAt(error.issues, 'plugins.aws.restart.max_crashes').message, /did you mean "maxCrashes"\?/);
  });

  it('lists the allowed keys when nothing is close', () => {
    const error = configError('{ "defaults": { "health": { "zzzzzz": 1 } } }');
    assert.equal(
      issueAt(error.issues, 'defaults.health.zzzzzz').message,
      'unknown key "zzzzzz"; the keys allowed here are: intervalMs, timeoutMs, misses',
    );
  });

  it('a plugin\'s start must be "boot" or "lazy"', () => {
    const error = configError('{ "plugins": { "aws": { "start": "later" } } }');
    assert.match(issueAt(error.issues, 'plugins.aws.start').message, /expected "boot" \(start with the daemon\) or "lazy" \(start at the first call that needs it\), saw "later"/);
  });

  it('says where a plugin setting belongs when it is put at the top level', () => {
    const error = configError('{ "restart": { "maxCrashes": 3 } }');
    assert.match(issueAt(error.issues, 'restart').message, /defaults\.restart \(all plugins\) or plugins\.<name>\.restart/);
  });

  it('refuses enabled, env and sha256 in defaults, saying why', () => {
    const error = configError('{ "defaults": { "enabled": false, "env": {}, "sha256": "" } }');
    assert.match(issueAt(error.issues, 'defaults.enabled').message, /"autoload"/);
    assert.match(issueAt(error.issues, 'defaults.env').message, /plugins\.<name>\.env/);
    assert.match(issueAt(error.issues, 'defaults.sha256').message, /plugins\.<name>\.sha256/);
  });

  it('refuses a duplicate key at the second occurrence', () => {
    const error = configError('{\n  "dryRun": true,\n  "dryRun": false\n}');
    const issue = issueAt(error.issues, 'dryRun');
    assert.equal(issue.line, 3);
    assert.match(issue.message, /duplicate key: already set on line 2/);
  });
});

describe('parseConfig: wrong types at nested paths', () => {
  const error = configError(fixture('nested-errors.json'), 'nested-errors.json');

  it('reports each at the line and column of its value', () => {
    const where = (path: string): string => {
      const issue = issueAt(error.issues, path);
      return `${issue.line}:${issue.column}`;
    };
    assert.equal(where('plugins.aws.restart.maxCrashes'), '7:23');
    assert.equal(where('plugins.aws.health.misses'), '11:19');
    assert.equal(where('plugins.aws.stop.termMs'), '14:19');
    assert.equal(where('plugins.aws.autoMtls'), '16:19');
    assert.equal(error.issues.length, 4);
  });

  it('formats each problem as file:line:column: path: expected …, saw …', () => {
    const lines = error.message.split('\n');
    assert.equal(lines[0], 'nested-errors.json:7:23: plugins.aws.restart.maxCrashes: expected a whole number from 1 to 100, saw "five"');
    assert.equal(lines[1], 'nested-errors.json:11:19: plugins.aws.health.misses: expected a whole number from 1 to 100, saw 2.5');
    assert.equal(lines[2], 'nested-errors.json:14:19: plugins.aws.stop.termMs: expected a whole number of milliseconds from 1 to 600000 (10 min), saw true');
    assert.equal(lines[3], 'nested-errors.json:16:19: plugins.aws.autoMtls: expected true or false, saw "yes"');
    assert.match(lines[4] ?? '', /^hint: .*docs\/config\.md/);
    assert.equal(lines.length, 5);
  });

  it('has the CONFIG_INVALID code', () => {
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.fileName, 'nested-errors.json');
  });
});

describe('parseConfig: values', () => {
  it('refuses relative paths', () => {
    assert.match(issueAt(configError('{ "pluginsDir": "plugins" }').issues, 'pluginsDir').message, /absolute path/);
  });

  it('refuses an unknown log level with a suggestion', () => {
    assert.match(issueAt(configError('{ "logLevel": "warning" }').issues, 'logLevel').message, /saw "warning"; did you mean "warn"\?/);
  });

  it('refuses numbers out of bounds', () => {
    const error = configError('{ "defaults": { "restart": { "maxBackoffMs": 3600001, "maxCrashes": 0, "jitter": 1.5 } } }');
    assert.match(issueAt(error.issues, 'defaults.restart.maxBackoffMs').message, /from 1 to 3600000 \(1 h\), saw 3600001/);
    assert.match(issueAt(error.issues, 'defaults.restart.maxCrashes').message, /saw 0$/);
    assert.match(issueAt(error.issues, 'defaults.restart.jitter').message, /fraction from 0 to 1/);
  });

  it('refuses a sha256 pin that is not 64 hex digits', () => {
    assert.match(issueAt(configError('{ "plugins": { "aws": { "sha256": "abc" } } }').issues, 'plugins.aws.sha256').message, /64 hex digits/);
  });

  it('suggests enabled: false when a plugin is set to false', () => {
    assert.match(issueAt(configError('{ "plugins": { "aws": false } }').issues, 'plugins.aws').message, /"enabled": false/);
  });
});

describe('parseConfig: rules across keys', () => {
  it('refuses maxBackoffMs below initialBackoffMs in the same section', () => {
    const issue = issueAt(
      configError('{ "defaults": { "restart": { "initialBackoffMs": 5000, "maxBackoffMs": 1000 } } }').issues,
      'defaults.restart.maxBackoffMs',
    );
    assert.match(issue.message, /must be ≥ initialBackoffMs \(5000\)/);
  });

  it('refuses maxBackoffMs below the built-in initialBackoffMs', () => {
    const issue = issueAt(configError('{ "plugins": { "aws": { "restart": { "maxBackoffMs": 50 } } } }').issues, 'plugins.aws.restart.maxBackoffMs');
    assert.match(issue.message, /\(100, the built-in default\)/);
  });

  it('checks a plugin against values it inherits from the defaults section', () => {
    const text = '{\n "defaults": { "restart": { "initialBackoffMs": 2000 } },\n "plugins": { "aws": { "restart": { "maxBackoffMs": 1000 } } }\n}';
    const issue = issueAt(configError(text).issues, 'plugins.aws.restart.maxBackoffMs');
    assert.equal(issue.line, 3);
    assert.match(issue.message, /\(2000, from defaults\.restart\.initialBackoffMs\)/);
  });

  it('accepts maxBackoffMs equal to initialBackoffMs', () => {
    assert.doesNotThrow(() => parseConfig('{ "defaults": { "restart": { "initialBackoffMs": 500, "maxBackoffMs": 500 } } }', 'c.json'));
  });

  it('refuses a health timeout equal to or above the interval', () => {
    const equal = issueAt(configError('{ "defaults": { "health": { "intervalMs": 1000, "timeoutMs": 1000 } } }').issues, 'defaults.health.timeoutMs');
    assert.match(equal.message, /must be less than intervalMs \(1000\)/);
    const above = configError('{ "plugins": { "aws": { "health": { "timeoutMs": 6000 } } } }');
    assert.match(issueAt(above.issues, 'plugins.aws.health.timeoutMs').message, /\(5000, the built-in default\)/);
  });

  it('leaves a value that is itself invalid to its own message', () => {
    const error = configError('{ "defaults": { "restart": { "initialBackoffMs": "soon", "maxBackoffMs": 10 } } }');
    assert.equal(error.issues.length, 1);
    assert.equal(error.issues[0]?.path, 'defaults.restart.initialBackoffMs');
  });
});

describe('parseConfig: plugin names and environment', () => {
  it('refuses plugin names that are not file names', () => {
    const text = '{\n  "plugins": {\n    "../evil": {},\n    ".hidden": {},\n    "": {},\n    "ok-name_1.2": {}\n  }\n}';
    const error = configError(text);
    assert.deepEqual(
      error.issues.map((issue) => [issue.path, issue.line]),
      [
        ['plugins["../evil"]', 3],
        ['plugins[".hidden"]', 4],
        ['plugins[""]', 5],
      ],
    );
    for (const issue of error.issues) assert.match(issue.message, /a plugin's name is its file name/);
  });

  it('refuses an invalid defaultProvider name', () => {
    assert.match(issueAt(configError('{ "defaultProvider": "a/b" }').issues, 'defaultProvider').message, /invalid plugin name "a\/b"/);
  });

  it('refuses the protocol variables as plugin environment, saying why', () => {
    const text = '{ "plugins": { "aws": { "env": { "SNOOZEBOT_PLUGIN": "x", "PLUGIN_MIN_PORT": "1", "PLUGINS_OK": "1" } } } }';
    const error = configError(text);
    assert.match(issueAt(error.issues, 'plugins.aws.env.SNOOZEBOT_PLUGIN').message, /magic cookie/);
    assert.match(issueAt(error.issues, 'plugins.aws.env.PLUGIN_MIN_PORT').message, /go-plugin protocol/);
    assert.equal(error.issues.length, 2);
  });

  it('refuses non-string environment values and invalid variable names', () => {
    const error = configError('{ "plugins": { "aws": { "env": { "PORT": 8080, "A-B": "x" } } } }');
    assert.match(issueAt(error.issues, 'plugins.aws.env.PORT').message, /expected a string .*saw 8080/);
    assert.match(issueAt(error.issues, 'plugins.aws.env.A-B').message, /not a valid environment variable name/);
  });
});

describe('parseConfig: several problems', () => {
  it('reports every problem in one error, in file order', () => {
    const error = configError(fixture('many-problems.json'), 'many-problems.json');
    assert.deepEqual(
      error.issues.map((issue) => `${issue.line} ${issue.path}`),
      [
        '2 pluginDir',
        '3 dryRun',
        '5 defaults.restart.maxBackoffMs',
        '6 defaults.health.timeoutMs',
        '9 plugins["../escape"]',
        '10 plugins.aws.env.PLUGIN_PROTOCOL_VERSIONS',
        '10 plugins.aws.env.REGION',
      ],
    );
    assert.equal(error.message.split('\n').length, 8);
  });

  it('checkConfig returns the problems instead of throwing', () => {
    const checked = checkConfig('{ "dryRun": 1, "autoload": 0 }');
    assert.equal(checked.file, undefined);
    assert.deepEqual(
      checked.issues.map((issue) => issue.path),
      ['dryRun', 'autoload'],
    );
  });
});
