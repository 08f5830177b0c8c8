// CloudProviderClient against a real gRPC server that answers what older or
// broken plugins answer: methods it lacks (UNIMPLEMENTED), GetInstanceInfo in
// the flat layout of the Go snoozebot's first builds, and bytes that are no
// GetInstanceInfoResponse at all.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { ServiceDefinition, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import { create } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { GetProviderNameResponseSchema } from '../../src/gen/plugin/cloud_provider_pb.js';
import { CloudProviderClient } from '../../src/host/cloud-provider-client.js';
import { PluginConnection } from '../../src/host/connection.js';
import { HostError } from '../../src/host/errors.js';
import { cloudProviderService } from '../../src/wire/services.js';

/** The old flat GetInstanceInfoResponse, written field by field. */
function flatAnswer(state: string): Buffer {
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).string('i-flat');
  w.tag(2, WireType.LengthDelimited).string('flat');
  w.tag(6, WireType.LengthDelimited).string(state);
  return Buffer.from(w.finish());
}

async function serve(answer: () => Buffer) {
  const dir = await mkdtemp(join(tmpdir(), 'sbc-'));
  const address = join(dir, 's.sock');
  const server = new Server();
  // GetInstanceInfo answers raw bytes; GetProviderName is the only other method.
  const definition = {
    getInstanceInfo: { ...cloudProviderService.getInstanceInfo, responseSerialize: (bytes: Buffer) => bytes },
    getProviderName: cloudProviderService.getProviderName,
  } as unknown as ServiceDefinition;
  const handlers: UntypedServiceImplementation = {
    getInstanceInfo: (_call: unknown, callback: sendUnaryData<Buffer>) => callback(null, answer()),
    getProviderName: (_call: unknown, callback: sendUnaryData<unknown>) =>
      callback(null, create(GetProviderNameResponseSchema, { providerName: 'raw' })),
  };
  server.addService(definition, handlers);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${address}`, ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
  );
  const connection = new PluginConnection({ coreVersion: 1, appVersion: 1, network: 'unix', address, protocol: 'grpc' }, undefined);
  const notices: string[] = [];
  const client = new CloudProviderClient(connection, 5_000, 'raw', { notice: (message) => notices.push(message) });
  return {
    client,
    notices,
    async close() {
      connection.close();
      server.forceShutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

test('a method the plugin lacks is PLUGIN_UNSUPPORTED, named', async () => {
  const s = await serve(() => Buffer.alloc(0));
  try {
    assert.equal(await s.client.providerName(), 'raw');
    for (const [call, method] of [
      [() => s.client.listInstances(), 'ListInstances'],
      [() => s.client.apiVersion(), 'GetAPIVersion'],
      [() => s.client.stopInstance(), 'StopInstance'],
    ] as const) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof HostError);
        assert.equal(error.code, 'PLUGIN_UNSUPPORTED');
        assert.equal(error.grpcCode, 'UNIMPLEMENTED');
        assert.equal(error.message, `plugin raw does not implement ${method}`);
        return true;
      });
    }
  } finally {
    await s.close();
  }
});

test('a flat GetInstanceInfoResponse is read, and said once', async () => {
  let state = 'running';
  const s = await serve(() => flatAnswer(state));
  try {
    const first = await s.client.instanceInfo();
    assert.deepEqual(first, { id: 'i-flat', name: 'flat', type: '', region: '', zone: '', state: 'running', launchTime: null });
    assert.equal(s.client.instanceLayout, 'legacy-flat');
    state = 'stopped';
    assert.equal((await s.client.instanceInfo()).state, 'stopped');
    assert.deepEqual(s.notices, [
      'plugin raw speaks the older flat GetInstanceInfoResponse of the Go snoozebot (before API 0.1.0); its answers are read in that layout; rebuild it against the current proto',
    ]);
  } finally {
    await s.close();
  }
});

test('an answer in no known layout is PLUGIN_SCHEMA, not a parsing error', async () => {
  const s = await serve(() => Buffer.from([0x0a, 0x05, 0x01]));
  try {
    await assert.rejects(s.client.instanceInfo(), (error: unknown) => {
      assert.ok(error instanceof HostError);
      assert.equal(error.code, 'PLUGIN_SCHEMA');
      assert.match(
        error.message,
        /^plugin raw answered GetInstanceInfo with a message that is neither the current GetInstanceInfoResponse nor the older flat one of the Go snoozebot \(.+\); rebuild it against proto\/plugin\/cloud_provider\.proto$/,
      );
      assert.doesNotMatch(error.message, /Response message parsing error/);
      return true;
    });
  } finally {
    await s.close();
  }
});
