import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { powerState, resourceIdOf, scaleSetOf, toDetails } from '../../plugins/azure/vm.js';

describe('azure VM records', () => {
  it('power state from the instance view, hibernated told apart from deallocated', () => {
    assert.equal(powerState([{ code: 'ProvisioningState/succeeded' }, { code: 'PowerState/running' }]), 'running');
    assert.equal(powerState([{ code: 'PowerState/stopped' }]), 'stopped');
    assert.equal(powerState([{ code: 'PowerState/deallocated' }]), 'deallocated');
    assert.equal(powerState([{ code: 'PowerState/deallocated' }, { code: 'HibernationState/Hibernated' }]), 'hibernated');
    assert.equal(powerState([{ code: 'ProvisioningState/updating' }]), 'unknown');
    assert.equal(powerState(undefined), 'unknown');
  });

  it('toDetails: vmId, size, location, first zone, creation time', () => {
    assert.deepEqual(
      toDetails({
        vmId: 'id-1',
        name: 'box',
        location: 'westeurope',
        zones: ['3'],
        hardwareProfile: { vmSize: 'Standard_B2s' },
        timeCreated: new Date('2024-01-02T03:04:05Z'),
        instanceView: { statuses: [{ code: 'PowerState/running' }] },
      }),
      { id: 'id-1', name: 'box', type: 'Standard_B2s', region: 'westeurope', zone: '3', state: 'running', launchTime: new Date('2024-01-02T03:04:05Z') },
    );
    assert.deepEqual(toDetails({}, [{ code: 'PowerState/stopped' }]), { id: '', state: 'stopped' });
  });

  it('scale set name from the record; ARM resource id', () => {
    assert.equal(scaleSetOf({ virtualMachineScaleSet: { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web' } }), 'web');
    assert.equal(scaleSetOf({}), undefined);
    assert.equal(resourceIdOf({ subscriptionId: 's', resourceGroup: 'rg', vmName: 'v' }), '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v');
  });
});
