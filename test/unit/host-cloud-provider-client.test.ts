import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { InstanceInfoSchema } from '../../src/gen/plugin/cloud_provider_pb.js';
import { toInstanceRecord } from '../../src/host/cloud-provider-client.js';

describe('toInstanceRecord', () => {
  it('copies every field and renders launchTime as ISO-8601', () => {
    const info = create(InstanceInfoSchema, {
      id: 'i-123',
      name: 'web',
      type: 't3.micro',
      region: 'eu-west-1',
      zone: 'eu-west-1a',
      state: 'running',
      launchTime: timestampFromDate(new Date('2024-01-02T03:04:05.678Z')),
    });
    assert.deepEqual(toInstanceRecord(info), {
      id: 'i-123',
      name: 'web',
      type: 't3.micro',
      region: 'eu-west-1',
      zone: 'eu-west-1a',
      state: 'running',
      launchTime: '2024-01-02T03:04:05.678Z',
    });
  });

  it('gives null for a missing launchTime', () => {
    const record = toInstanceRecord(create(InstanceInfoSchema, { id: 'i-1', state: 'stopped' }));
    assert.equal(record.launchTime, null);
    assert.equal(record.id, 'i-1');
    assert.equal(record.name, '');
  });

  it('gives empty strings and null for a missing instance', () => {
    assert.deepEqual(toInstanceRecord(undefined), {
      id: '',
      name: '',
      type: '',
      region: '',
      zone: '',
      state: '',
      launchTime: null,
    });
  });
});
