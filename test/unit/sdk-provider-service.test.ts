import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { status } from '@grpc/grpc-js';
import { PluginError } from '../../src/sdk/errors.js';
import { toInstanceInfo, toStatus } from '../../src/sdk/provider-service.js';

describe('toInstanceInfo', () => {
  it('maps every field, launchTime to a Timestamp', () => {
    const launch = new Date('2023-05-06T07:08:09.123Z');
    const info = toInstanceInfo({
      id: 'i-1',
      name: 'web',
      type: 't3.micro',
      region: 'eu-west-1',
      zone: 'eu-west-1b',
      state: 'running',
      launchTime: launch,
    });
    assert.equal(info.$typeName, 'plugin.InstanceInfo');
    assert.equal(info.id, 'i-1');
    assert.equal(info.name, 'web');
    assert.equal(info.type, 't3.micro');
    assert.equal(info.region, 'eu-west-1');
    assert.equal(info.zone, 'eu-west-1b');
    assert.equal(info.state, 'running');
    assert.ok(info.launchTime !== undefined);
    assert.equal(info.launchTime.seconds, BigInt(Math.floor(launch.getTime() / 1000)));
    assert.equal(info.launchTime.nanos, 123_000_000);
    assert.equal(timestampDate(info.launchTime).getTime(), launch.getTime());
  });

  it('fills optional strings with "" and leaves launchTime unset', () => {
    const info = toInstanceInfo({ id: 'i-2', state: 'stopped' });
    assert.equal(info.name, '');
    assert.equal(info.type, '');
    assert.equal(info.region, '');
    assert.equal(info.zone, '');
    assert.equal(info.state, 'stopped');
    assert.equal(info.launchTime, undefined);
  });
});

describe('toStatus', () => {
  it('answers a PluginError with its status code and message plus hint', () => {
    const error = toStatus('StopInstance', new PluginError('NOT_FOUND', 'no instance i-9', { hint: 'check the id' }));
    assert.equal(error.code, status.NOT_FOUND);
    assert.equal(error.details, 'no instance i-9 (check the id)');
    assert.equal(error.message, 'no instance i-9 (check the id)');
  });

  it('answers a PluginError without hint with just its message', () => {
    const error = toStatus('StopInstance', new PluginError('PERMISSION_DENIED', 'denied'));
    assert.equal(error.code, status.PERMISSION_DENIED);
    assert.equal(error.details, 'denied');
  });

  it('answers any other error as UNKNOWN "<method> failed: <message>"', () => {
    const error = toStatus('GetInstanceInfo', new TypeError('x is undefined'));
    assert.equal(error.code, status.UNKNOWN);
    assert.equal(error.details, 'GetInstanceInfo failed: x is undefined');
    assert.equal(error.message, 'GetInstanceInfo failed: x is undefined');
  });

  it('answers a thrown non-Error as UNKNOWN with its string form', () => {
    const error = toStatus('ListInstances', 'plain string');
    assert.equal(error.code, status.UNKNOWN);
    assert.equal(error.details, 'ListInstances failed: plain string');
  });
});
