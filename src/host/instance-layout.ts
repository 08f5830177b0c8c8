// Reads a GetInstanceInfo answer in either layout the Go snoozebot has used.
//
// Its first builds (before API 0.1.0) answered a flat GetInstanceInfoResponse
// {id=1, name=2, type=3, region=4, zone=5, state=6, launch_time=7}; the
// current one nests those fields as InstanceInfo in field 1. The flat message
// has exactly InstanceInfo's field numbers and types, so its bytes *are* an
// InstanceInfo, and reading it takes nothing but a second decode.
//
// Telling the two apart: a flat answer read as the current layout either
// fails (field 1, the id string, is parsed as a nested message) or leaves
// fields 2..7 unknown; a current answer has only field 1. So the current
// layout is tried first and wins whenever it decodes without unknown fields
// 2..7; then the flat one, which must decode without unknown fields at all.
// A current answer is never misread. The one ambiguity is a flat answer that
// carries nothing but an id whose bytes happen to decode as an InstanceInfo:
// no plugin answers without a state, so we accept it. Pure.
import { fromBinary } from '@bufbuild/protobuf';
import { GetInstanceInfoResponseSchema, InstanceInfoSchema } from '../gen/plugin/cloud_provider_pb.js';
import type { InstanceInfo } from '../gen/plugin/cloud_provider_pb.js';

export type InstanceLayout = 'current' | 'legacy-flat';

export type DecodedInstance =
  | { readonly layout: InstanceLayout; readonly instance: InstanceInfo | undefined }
  | { readonly layout: 'unknown'; readonly reason: string };

const FLAT_ONLY_FIELDS = new Set([2, 3, 4, 5, 6, 7]);

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function decodeInstanceInfoResponse(bytes: Uint8Array): DecodedInstance {
  let reason: string;
  try {
    const current = fromBinary(GetInstanceInfoResponseSchema, bytes);
    const stray = (current.$unknown ?? []).filter((field) => FLAT_ONLY_FIELDS.has(field.no));
    if (stray.length === 0) return { layout: 'current', instance: current.instance };
    reason = `fields ${stray.map((f) => f.no).join(', ')} are not in the current GetInstanceInfoResponse`;
  } catch (error) {
    reason = message(error);
  }
  try {
    const flat = fromBinary(InstanceInfoSchema, bytes);
    const unknown = flat.$unknown ?? [];
    if (unknown.length === 0) return { layout: 'legacy-flat', instance: flat };
    reason += `; as the older flat layout, fields ${unknown.map((f) => f.no).join(', ')} are unknown`;
  } catch (error) {
    reason += `; as the older flat layout: ${message(error)}`;
  }
  return { layout: 'unknown', reason };
}
