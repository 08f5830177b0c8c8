import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createdBy, isManagedByGroup, labelFilter, regionOf, stateOf, toDetails } from '../../plugins/gcp/instance.js';
import { lastSegment } from '../../plugins/gcp/where-am-i.js';

describe('gcp instance records', () => {
  it('maps Compute Engine statuses to the words the other plugins use', () => {
    const pairs: [string, string][] = [
      ['PROVISIONING', 'pending'],
      ['STAGING', 'pending'],
      ['RUNNING', 'running'],
      ['STOPPING', 'stopping'],
      ['TERMINATED', 'stopped'],
      ['SUSPENDING', 'suspending'],
      ['SUSPENDED', 'suspended'],
      ['REPAIRING', 'repairing'],
      ['SOMETHING_NEW', 'something_new'],
    ];
    for (const [status, word] of pairs) assert.equal(stateOf(status), word, status);
    assert.equal(stateOf(undefined), 'unknown');
  });

  it('toDetails: short machine type and zone, region from the zone, the last start as launch time', () => {
    assert.deepEqual(
      toDetails({
        id: '123',
        name: 'box',
        zone: 'https://compute.googleapis.com/compute/v1/projects/p/zones/us-central1-f',
        machineType: 'https://compute.googleapis.com/compute/v1/projects/p/zones/us-central1-f/machineTypes/e2-micro',
        status: 'RUNNING',
        creationTimestamp: '2023-01-01T00:00:00.000-08:00',
        lastStartTimestamp: '2024-02-03T04:05:06.000-08:00',
      }),
      { id: '123', name: 'box', type: 'e2-micro', zone: 'us-central1-f', region: 'us-central1', state: 'running', launchTime: new Date('2024-02-03T12:05:06.000Z') },
    );
    assert.deepEqual(toDetails({ status: 'TERMINATED', creationTimestamp: 'garbage' }), { id: '', state: 'stopped' });
    assert.equal(regionOf('asia-northeast1-a'), 'asia-northeast1');
    assert.equal(lastSegment('projects/1/zones/z'), 'z');
  });

  it('a managed instance group is recognised by the created-by metadata item', () => {
    const group = 'projects/1/zones/z/instanceGroupManagers/workers';
    assert.equal(createdBy({ metadata: { items: [{ key: 'other', value: 'x' }, { key: 'created-by', value: group }] } }), group);
    assert.equal(isManagedByGroup(group), true);
    assert.equal(isManagedByGroup('projects/1/regions/r/instanceGroupManagers/web'), true);
    assert.equal(isManagedByGroup('someone'), false);
    assert.equal(isManagedByGroup(undefined), false);
  });

  it('label filter expression', () => {
    assert.equal(labelFilter({ key: 'team', value: 'blue' }), 'labels.team = "blue"');
    assert.equal(labelFilter(undefined), undefined);
  });
});
