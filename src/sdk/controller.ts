// plugin.GRPCController: the host's polite "please exit". The answer is sent
// first and the stop begins on the next turn of the event loop, so the host
// sees Shutdown succeed instead of a connection torn down mid-call.
import { create } from '@bufbuild/protobuf';
import type { ServerUnaryCall, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import { EmptySchema } from '../gen/plugin/grpc_controller_pb.js';
import type { Empty } from '../gen/plugin/grpc_controller_pb.js';

export function controllerHandlers(onShutdown: () => void): UntypedServiceImplementation {
  return {
    shutdown: (_call: ServerUnaryCall<Empty, Empty>, callback: sendUnaryData<Empty>) => {
      callback(null, create(EmptySchema));
      setImmediate(onShutdown);
    },
  };
}
