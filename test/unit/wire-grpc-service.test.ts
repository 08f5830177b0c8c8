import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { create, equals } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  CloudProvider,
  GetInstanceInfoResponseSchema,
  InstanceInfoSchema,
  ListInstancesResponseSchema,
  StopInstanceRequestSchema,
} from '../../src/gen/plugin/cloud_provider_pb.js';
import { GRPCStdio } from '../../src/gen/plugin/grpc_stdio_pb.js';
import { grpcServiceDefinition } from '../../src/wire/grpc-service.js';

const METHODS: ReadonlyArray<[string, string]> = [
  ['getAPIVersion', 'GetAPIVersion'],
  ['getInstanceInfo', 'GetInstanceInfo'],
  ['stopInstance', 'StopInstance'],
  ['startInstance', 'StartInstance'],
  ['getProviderName', 'GetProviderName'],
  ['getProviderVersion', 'GetProviderVersion'],
  ['listInstances', 'ListInstances'],
];

describe('grpcServiceDefinition', () => {
  const cloud = grpcServiceDefinition(CloudProvider);

  it('has the seven CloudProvider methods, unary, at go-plugin paths', () => {
    assert.deepEqual(Object.keys(cloud).sort(), METHODS.map(([local]) => local).sort());
    for (const [local, name] of METHODS) {
      const method = (cloud as Record<string, (typeof cloud)['getAPIVersion']>)[local];
      assert.ok(method !== undefined, local);
      assert.equal(method.path, `/plugin.CloudProvider/${name}`);
      assert.equal(method.originalName, name);
      assert.equal(method.requestStream, false, local);
      assert.equal(method.responseStream, false, local);
    }
  });

  it('marks GRPCStdio.StreamStdio as server streaming', () => {
    const stdio = grpcServiceDefinition(GRPCStdio);
    assert.deepEqual(Object.keys(stdio), ['streamStdio']);
    assert.equal(stdio.streamStdio.path, '/plugin.GRPCStdio/StreamStdio');
    assert.equal(stdio.streamStdio.requestStream, false);
    assert.equal(stdio.streamStdio.responseStream, true);
  });

  it('round-trips a GetInstanceInfoResponse through serialize and deserialize', () => {
    const message = create(GetInstanceInfoResponseSchema, {
      instance: {
        id: 'i-0abc',
        name: 'web',
        type: 't3.micro',
        region: 'eu-west-1',
        zone: 'eu-west-1a',
        state: 'running',
        launchTime: timestampFromDate(new Date('2024-01-02T03:04:05.678Z')),
      },
    });
    const bytes = cloud.getInstanceInfo.responseSerialize(message);
    assert.ok(Buffer.isBuffer(bytes));
    const back = cloud.getInstanceInfo.responseDeserialize(bytes);
    assert.ok(equals(GetInstanceInfoResponseSchema, back, message));
    assert.equal(back.instance?.id, 'i-0abc');
    assert.equal(back.instance?.launchTime?.nanos, 678_000_000);
  });

  it('serializes InstanceInfo{id:"i-1", state:"running"} as proto3 fields 1 and 6', () => {
    const instance = create(InstanceInfoSchema, { id: 'i-1', state: 'running' });
    const bytes = cloud.getInstanceInfo.responseSerialize(create(GetInstanceInfoResponseSchema, { instance }));
    // 0a 0e: GetInstanceInfoResponse.instance (field 1, LEN 14), then
    // 0a 03 "i-1": InstanceInfo.id (field 1), 32 07 "running": InstanceInfo.state (field 6).
    assert.equal(bytes.toString('hex'), '0a0e' + '0a03692d31' + '320772756e6e696e67');
    const list = cloud.listInstances.responseSerialize(create(ListInstancesResponseSchema, { instances: [instance, instance] }));
    assert.equal(list.toString('hex'), ('0a0e' + '0a03692d31' + '320772756e6e696e67').repeat(2));
  });

  it('encodes empty requests as no bytes and decodes them back', () => {
    const bytes = cloud.stopInstance.requestSerialize(create(StopInstanceRequestSchema));
    assert.equal(bytes.length, 0);
    const back = cloud.stopInstance.requestDeserialize(Buffer.alloc(0));
    assert.equal(back.$typeName, 'plugin.StopInstanceRequest');
  });

  it('decodes fields written in any order', () => {
    // state before id, as any conforming encoder may write them.
    const wire = Buffer.from('0a0e' + '320772756e6e696e67' + '0a03692d31', 'hex');
    const back = cloud.getInstanceInfo.responseDeserialize(wire);
    assert.equal(back.instance?.id, 'i-1');
    assert.equal(back.instance?.state, 'running');
    assert.equal(back.instance?.name, '');
  });
});
