import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  COMPUTE_DEFAULT_ENDPOINT,
  DEFAULT_OPERATION_TIMEOUT_MS,
  metadataBase,
  parseLabelFilter,
  readConfig,
} from '../../plugins/gcp/config.js';

describe('gcp plugin config', () => {
  it('defaults: stop (not suspend), keep local SSDs, refuse MIG instances, no dry run, Google\'s endpoints', () => {
    const config = readConfig({});
    assert.equal(config.suspend, false);
    assert.equal(config.discardLocalSsd, false);
    assert.equal(config.allowMig, false);
    assert.equal(config.dryRun, false);
    assert.equal(config.project, undefined);
    assert.equal(config.metadataBase, 'http://169.254.169.254');
    assert.equal(config.computeEndpoint, COMPUTE_DEFAULT_ENDPOINT);
    assert.equal(config.operationTimeoutMs, DEFAULT_OPERATION_TIMEOUT_MS);
    assert.ok(config.operationTimeoutMs < 30_000, 'below the host\'s default call deadline');
    assert.deepEqual(config.warnings, []);
  });

  it('the metadata server as Google\'s libraries choose it: GCE_METADATA_IP, then GCE_METADATA_HOST', () => {
    assert.equal(metadataBase({ GCE_METADATA_HOST: '127.0.0.1:8080' }), 'http://127.0.0.1:8080');
    assert.equal(metadataBase({ GCE_METADATA_HOST: 'metadata.google.internal', GCE_METADATA_IP: '10.0.0.1' }), 'http://10.0.0.1');
    assert.equal(metadataBase({ GCE_METADATA_HOST: 'https://md.example/' }), 'https://md.example');
  });

  it('label filter: Compute Engine label characters only, so it cannot change the filter expression', () => {
    assert.deepEqual(parseLabelFilter('snoozebot=managed'), { key: 'snoozebot', value: 'managed' });
    assert.deepEqual(parseLabelFilter('env-1=a_b-2'), { key: 'env-1', value: 'a_b-2' });
    for (const bad of ['team', 'Team=blue', 'team=Blue', 'team=a" OR name = "x', '1team=x', 'team=a b']) {
      assert.match(String(parseLabelFilter(bad)), /SNOOZEBOT_GCP_LIST_LABEL must look like key=value/, bad);
    }
    const config = readConfig({ SNOOZEBOT_GCP_LIST_LABEL: 'Team=Blue' });
    assert.equal(config.listLabel, undefined);
    assert.match(config.listLabelError ?? '', /got "Team=Blue"/);
    assert.equal(config.warnings.length, 1);
  });

  it('reads every setting; bad numbers fall back with a warning', () => {
    const config = readConfig({
      SNOOZEBOT_GCP_PROJECT: ' p ',
      SNOOZEBOT_GCP_ZONE: 'europe-west1-b',
      SNOOZEBOT_GCP_INSTANCE: 'box',
      SNOOZEBOT_GCP_SUSPEND: 'yes',
      SNOOZEBOT_GCP_DISCARD_LOCAL_SSD: '1',
      SNOOZEBOT_GCP_ALLOW_MIG: 'on',
      SNOOZEBOT_DRY_RUN: 'true',
      SNOOZEBOT_GCP_OPERATION_TIMEOUT_MS: 'soon',
      SNOOZEBOT_GCP_MAX_ATTEMPTS: '5',
      SNOOZEBOT_GCP_COMPUTE_ENDPOINT: 'http://127.0.0.1:9/compute/v1/',
    });
    assert.deepEqual(
      [config.project, config.zone, config.instance, config.suspend, config.discardLocalSsd, config.allowMig, config.dryRun, config.maxAttempts],
      ['p', 'europe-west1-b', 'box', true, true, true, true, 5],
    );
    assert.equal(config.operationTimeoutMs, DEFAULT_OPERATION_TIMEOUT_MS);
    assert.equal(config.computeEndpoint, 'http://127.0.0.1:9/compute/v1');
    assert.match(config.warnings.join('\n'), /SNOOZEBOT_GCP_OPERATION_TIMEOUT_MS="soon"/);
  });
});
