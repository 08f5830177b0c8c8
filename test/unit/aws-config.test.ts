import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_IMDS_TIMEOUT_MS, IMDS_IPV6_ENDPOINT, parseFlag, parseTagFilter, readConfig } from '../../plugins/aws/config.js';

describe('aws plugin config', () => {
  it('defaults: nothing overridden, stop normally, no dry run, no tag filter', () => {
    assert.deepEqual(readConfig({}), {
      instanceId: undefined,
      region: undefined,
      hibernate: false,
      dryRun: false,
      listTag: undefined,
      listTagError: undefined,
      imdsTimeoutMs: DEFAULT_IMDS_TIMEOUT_MS,
      imdsEndpoint: undefined,
      warnings: [],
    });
  });

  it('reads the overrides, trimmed; blank ones count as unset', () => {
    const config = readConfig({ SNOOZEBOT_AWS_INSTANCE_ID: ' i-0123456789abcdef0 ', AWS_REGION: 'eu-west-1\n' });
    assert.equal(config.instanceId, 'i-0123456789abcdef0');
    assert.equal(config.region, 'eu-west-1');
    const blank = readConfig({ SNOOZEBOT_AWS_INSTANCE_ID: '  ', AWS_REGION: '' });
    assert.equal(blank.instanceId, undefined);
    assert.equal(blank.region, undefined);
  });

  it('flags: true/1/yes/on and false/0/no/off, anything else is false with a warning', () => {
    for (const yes of ['true', 'TRUE', '1', 'yes', 'on', ' true ']) assert.equal(parseFlag(yes), true, yes);
    for (const no of ['false', '0', 'no', 'off', '', undefined]) assert.equal(parseFlag(no), false, String(no));
    assert.equal(parseFlag('maybe'), undefined);
    assert.equal(readConfig({ SNOOZEBOT_AWS_HIBERNATE: 'true', SNOOZEBOT_DRY_RUN: '1' }).hibernate, true);
    assert.equal(readConfig({ SNOOZEBOT_DRY_RUN: 'yes' }).dryRun, true);
    const odd = readConfig({ SNOOZEBOT_AWS_HIBERNATE: 'maybe' });
    assert.equal(odd.hibernate, false);
    assert.match(odd.warnings.join('\n'), /SNOOZEBOT_AWS_HIBERNATE="maybe" is neither true nor false/);
  });

  it('tag filter: Key=Value split at the first "="', () => {
    assert.deepEqual(parseTagFilter('team=blue'), { key: 'team', value: 'blue' });
    assert.deepEqual(parseTagFilter('expr=a=b'), { key: 'expr', value: 'a=b' });
    assert.deepEqual(readConfig({ SNOOZEBOT_AWS_LIST_TAG: 'snoozebot=managed' }).listTag, { key: 'snoozebot', value: 'managed' });
  });

  it('a malformed tag filter is kept as an error and a warning, not thrown', () => {
    for (const bad of ['team', '=blue', 'team=']) {
      const config = readConfig({ SNOOZEBOT_AWS_LIST_TAG: bad });
      assert.equal(config.listTag, undefined, bad);
      assert.match(config.listTagError ?? '', /SNOOZEBOT_AWS_LIST_TAG must look like Key=Value/, bad);
      assert.equal(config.warnings.length, 1);
    }
  });

  it('IMDS timeout: a positive whole number of milliseconds, else the default with a warning', () => {
    assert.equal(readConfig({ SNOOZEBOT_AWS_IMDS_TIMEOUT_MS: '250' }).imdsTimeoutMs, 250);
    for (const bad of ['0', '-5', '1.5', 'soon']) {
      const config = readConfig({ SNOOZEBOT_AWS_IMDS_TIMEOUT_MS: bad });
      assert.equal(config.imdsTimeoutMs, DEFAULT_IMDS_TIMEOUT_MS, bad);
      assert.match(config.warnings.join(''), /SNOOZEBOT_AWS_IMDS_TIMEOUT_MS/);
    }
  });

  it('IMDS endpoint: the explicit one wins; IPv6 mode picks the IPv6 address', () => {
    assert.equal(readConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' }).imdsEndpoint, 'http://127.0.0.1:9');
    assert.equal(readConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' }).imdsEndpoint, IMDS_IPV6_ENDPOINT);
    assert.equal(readConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv4' }).imdsEndpoint, undefined);
    assert.equal(
      readConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9', AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' }).imdsEndpoint,
      'http://127.0.0.1:9',
    );
  });
});
