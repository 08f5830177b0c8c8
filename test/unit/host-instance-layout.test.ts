// GetInstanceInfo answers in both layouts the Go snoozebot has used. The flat
// (pre-0.1.0) answers are written field by field here, with the numbers of
// its old proto, not with our schema, so the test does not assume what it
// checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { GetInstanceInfoResponseSchema, InstanceInfoSchema } from '../../src/gen/plugin/cloud_provider_pb.js';
import { decodeInstanceInfoResponse } from '../../src/host/instance-layout.js';
import { toInstanceRecord } from '../../src/host/cloud-provider-client.js';

const LAUNCH = new Date('2024-01-02T03:04:05.000Z');

/** The old flat GetInstanceInfoResponse: id=1 … state=6 strings, launch_time=7 a Timestamp {seconds=1, nanos=2}. */
function flat(fields: { id?: string; name?: string; state?: string; launchSeconds?: number }): Uint8Array {
  const w = new BinaryWriter();
  if (fields.id !== undefined) w.tag(1, WireType.LengthDelimited).string(fields.id);
  if (fields.name !== undefined) w.tag(2, WireType.LengthDelimited).string(fields.name);
  w.tag(3, WireType.LengthDelimited).string('legacy.small');
  w.tag(4, WireType.LengthDelimited).string('local-1');
  w.tag(5, WireType.LengthDelimited).string('local-1a');
  if (fields.state !== undefined) w.tag(6, WireType.LengthDelimited).string(fields.state);
  if (fields.launchSeconds !== undefined) {
    w.tag(7, WireType.LengthDelimited).fork().tag(1, WireType.Varint).int64(fields.launchSeconds).join();
  }
  return w.finish();
}

describe('decodeInstanceInfoResponse', () => {
  it('reads the current layout, and never takes it for the flat one', () => {
    const bytes = toBinary(
      GetInstanceInfoResponseSchema,
      create(GetInstanceInfoResponseSchema, {
        instance: create(InstanceInfoSchema, { id: 'i-1', name: 'web', state: 'running', launchTime: timestampFromDate(LAUNCH) }),
      }),
    );
    const decoded = decodeInstanceInfoResponse(bytes);
    assert.equal(decoded.layout, 'current');
    assert.equal(decoded.instance?.id, 'i-1');
    assert.equal(toInstanceRecord(decoded.instance).launchTime, LAUNCH.toISOString());
  });

  it('an empty answer is the current layout without an instance', () => {
    assert.deepEqual(decodeInstanceInfoResponse(new Uint8Array()), { layout: 'current', instance: undefined });
  });

  it('a current answer with a field from a newer proto is still the current layout', () => {
    const w = new BinaryWriter();
    w.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string('i-1').join();
    w.tag(9, WireType.Varint).int32(3);
    const decoded = decodeInstanceInfoResponse(w.finish());
    assert.equal(decoded.layout, 'current');
  });

  it('reads the flat layout of the Go snoozebot before API 0.1.0', () => {
    const decoded = decodeInstanceInfoResponse(
      flat({ id: 'i-0go0legacy', name: 'go-legacy', state: 'running', launchSeconds: LAUNCH.getTime() / 1000 }),
    );
    assert.equal(decoded.layout, 'legacy-flat');
    assert.deepEqual(toInstanceRecord(decoded.instance), {
      id: 'i-0go0legacy',
      name: 'go-legacy',
      type: 'legacy.small',
      region: 'local-1',
      zone: 'local-1a',
      state: 'running',
      launchTime: LAUNCH.toISOString(),
    });
  });

  it('reads a flat answer whose id is empty (field 1 absent): the stray fields give it away', () => {
    const decoded = decodeInstanceInfoResponse(flat({ state: 'stopped' }));
    assert.equal(decoded.layout, 'legacy-flat');
    assert.equal(decoded.instance?.state, 'stopped');
  });

  it('names what does not decode in either layout', () => {
    const garbage = decodeInstanceInfoResponse(Uint8Array.from([0x0a, 0x05, 0x01]));
    assert.equal(garbage.layout, 'unknown');
    assert.ok(garbage.layout === 'unknown' && garbage.reason.includes('as the older flat layout'), JSON.stringify(garbage));
    const w = new BinaryWriter();
    w.tag(3, WireType.LengthDelimited).string('x');
    w.tag(12, WireType.Varint).int32(1);
    const strange = decodeInstanceInfoResponse(w.finish());
    assert.equal(strange.layout, 'unknown');
    assert.ok(strange.layout === 'unknown' && /fields 3 are not in the current GetInstanceInfoResponse; as the older flat layout, fields 12 are unknown/.test(strange.reason));
  });
});
