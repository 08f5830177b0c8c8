// plugin.GRPCStdio: relays what the plugin writes to stdout after the
// handshake to hosts that ask for it. stdout itself belongs to the handshake,
// so nothing else may ever reach the real file descriptor 1.
import { create } from '@bufbuild/protobuf';
import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { StdioDataSchema, StdioData_Channel as Channel } from '../gen/plugin/grpc_stdio_pb.js';
import type { StdioData } from '../gen/plugin/grpc_stdio_pb.js';

export { Channel as StdioChannel };

export class StdioRelay {
  readonly #streams = new Set<ServerWritableStream<unknown, StdioData>>();

  get listening(): boolean {
    return this.#streams.size > 0;
  }

  /** Sends to every host stream; false when nobody is listening, so the caller can fall back to stderr. */
  write(channel: Channel, data: Uint8Array): boolean {
    if (this.#streams.size === 0) return false;
    const message = create(StdioDataSchema, { channel, data });
    for (const stream of this.#streams) stream.write(message);
    return true;
  }

  shutdown(): void {
    for (const stream of this.#streams) stream.end();
    this.#streams.clear();
  }

  handlers(): UntypedServiceImplementation {
    return {
      streamStdio: (call: ServerWritableStream<unknown, StdioData>) => {
        this.#streams.add(call);
        call.once('cancelled', () => this.#streams.delete(call));
      },
    };
  }
}
