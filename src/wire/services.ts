// The gRPC services every go-plugin peer agrees on, built once per process
// from the generated descriptors. Both the plugin side (sdk) and the host side
// import these, so the two can never disagree on a path or a codec.
import { CloudProvider } from '../gen/plugin/cloud_provider_pb.js';
import { GRPCController } from '../gen/plugin/grpc_controller_pb.js';
import { GRPCStdio } from '../gen/plugin/grpc_stdio_pb.js';
import { Health } from '../gen/grpc/health/v1/health_pb.js';
import { grpcServiceDefinition } from './grpc-service.js';

export const cloudProviderService = grpcServiceDefinition(CloudProvider);
export const controllerService = grpcServiceDefinition(GRPCController);
export const stdioService = grpcServiceDefinition(GRPCStdio);
export const healthService = grpcServiceDefinition(Health);

/** The health-check service name go-plugin hosts ask about. */
export const PLUGIN_HEALTH_SERVICE = 'plugin';
