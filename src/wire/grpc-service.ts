// Turns a protobuf-es service descriptor into a grpc-js service definition.
//
// grpc-js wants a serializer and a deserializer per method; protobuf-es already
// knows every message's shape from the generated descriptors. This adapter is
// the one place the two meet, so no method ever gets a hand-written codec.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

/** The grpc-js definition of a generated service, keyed by the method's local (camelCase) name. */
export type GrpcServiceDefinition<T extends GenServiceMethods> = {
  readonly [K in keyof T]: MethodDefinition<MessageShape<T[K]['input']>, MessageShape<T[K]['output']>>;
};

function codec<Desc extends DescMessage>(desc: Desc) {
  return {
    serialize: (message: MessageShape<Desc>): Buffer => {
      const bytes = toBinary(desc, message);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    deserialize: (bytes: Buffer): MessageShape<Desc> => fromBinary(desc, bytes),
  };
}

export function grpcServiceDefinition<T extends GenServiceMethods>(
  service: GenService<T>,
): GrpcServiceDefinition<T> & ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const input = codec(method.input);
    const output = codec(method.output);
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: input.serialize as (value: unknown) => Buffer,
      requestDeserialize: input.deserialize,
      responseSerialize: output.serialize as (value: unknown) => Buffer,
      responseDeserialize: output.deserialize,
      originalName: method.name,
    };
  }
  return definition as GrpcServiceDefinition<T> & ServiceDefinition;
}
