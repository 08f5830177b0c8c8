import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARM_DEFAULT_ENDPOINT, IMDS_DEFAULT_ENDPOINT, readConfig } from '../../plugins/azure/config.js';

describe('azure plugin config', () => {
  it('defaults: deallocate (power-off keeps billing), the system-assigned identity, Azure\'s public endpoints', () => {
    const config = readConfig({});
    assert.equal(config.stopMode, 'deallocate');
    assert.equal(config.clientId, undefined);
    assert.equal(config.dryRun, false);
    assert.equal(config.imdsEndpoint, IMDS_DEFAULT_ENDPOINT);
    assert.equal(config.armEndpoint, ARM_DEFAULT_ENDPOINT);
    assert.ok(config.operationTimeoutMs < 30_000, 'below the host\'s default call deadline');
    assert.deepEqual(config.warnings, []);
  });

  it('stop modes: deallocate, hibernate, power-off (any case); anything else is deallocate with a warning', () => {
    assert.equal(readConfig({ SNOOZEBOT_AZURE_STOP_MODE: 'Hibernate' }).stopMode, 'hibernate');
    assert.equal(readConfig({ SNOOZEBOT_AZURE_STOP_MODE: 'power-off' }).stopMode, 'power-off');
    const odd = readConfig({ SNOOZEBOT_AZURE_STOP_MODE: 'stop' });
    assert.equal(odd.stopMode, 'deallocate');
    assert.match(odd.warnings.join(''), /SNOOZEBOT_AZURE_STOP_MODE="stop" is not one of deallocate, hibernate, power-off; using deallocate/);
  });

  it('reads the overrides, client id and endpoints; a malformed tag is kept as an error', () => {
    const config = readConfig({
      SNOOZEBOT_AZURE_SUBSCRIPTION_ID: 'sub',
      SNOOZEBOT_AZURE_RESOURCE_GROUP: 'rg',
      SNOOZEBOT_AZURE_VM_NAME: 'vm',
      SNOOZEBOT_AZURE_CLIENT_ID: 'cid',
      SNOOZEBOT_AZURE_ARM_ENDPOINT: 'https://management.chinacloudapi.cn/',
      SNOOZEBOT_AZURE_LIST_TAG: 'team',
    });
    assert.deepEqual([config.subscriptionId, config.resourceGroup, config.vmName, config.clientId], ['sub', 'rg', 'vm', 'cid']);
    assert.equal(config.armEndpoint, 'https://management.chinacloudapi.cn');
    assert.equal(config.listTag, undefined);
    assert.match(config.listTagError ?? '', /SNOOZEBOT_AZURE_LIST_TAG must look like Key=Value/);
    assert.deepEqual(readConfig({ SNOOZEBOT_AZURE_LIST_TAG: 'team=blue' }).listTag, { key: 'team', value: 'blue' });
  });
});
