package plugin

import (
	"context"

	"github.com/golang/protobuf/ptypes"

	pb "snoozebot/interop/legacypb"
)

// GRPCCloudProviderServer answers the five RPCs of the first builds, the
// instance flat in GetInstanceInfoResponse.
type GRPCCloudProviderServer struct {
	pb.UnimplementedCloudProviderServer
	Impl CloudProvider
}

func (m *GRPCCloudProviderServer) GetInstanceInfo(ctx context.Context, _ *pb.GetInstanceInfoRequest) (*pb.GetInstanceInfoResponse, error) {
	info, err := m.Impl.GetInstanceInfo(ctx)
	if err != nil {
		return nil, err
	}
	launch, err := ptypes.TimestampProto(info.LaunchTime)
	if err != nil {
		return nil, err
	}
	return &pb.GetInstanceInfoResponse{
		Id: info.ID, Name: info.Name, Type: info.Type, Region: info.Region,
		Zone: info.Zone, State: info.State, LaunchTime: launch,
	}, nil
}

func (m *GRPCCloudProviderServer) StopInstance(ctx context.Context, _ *pb.StopInstanceRequest) (*pb.StopInstanceResponse, error) {
	if err := m.Impl.StopInstance(ctx); err != nil {
		return &pb.StopInstanceResponse{Success: false, ErrorMessage: err.Error()}, nil
	}
	return &pb.StopInstanceResponse{Success: true}, nil
}

func (m *GRPCCloudProviderServer) StartInstance(ctx context.Context, _ *pb.StartInstanceRequest) (*pb.StartInstanceResponse, error) {
	if err := m.Impl.StartInstance(ctx); err != nil {
		return &pb.StartInstanceResponse{Success: false, ErrorMessage: err.Error()}, nil
	}
	return &pb.StartInstanceResponse{Success: true}, nil
}

func (m *GRPCCloudProviderServer) GetProviderName(context.Context, *pb.GetProviderNameRequest) (*pb.GetProviderNameResponse, error) {
	return &pb.GetProviderNameResponse{ProviderName: m.Impl.GetProviderName()}, nil
}

func (m *GRPCCloudProviderServer) GetProviderVersion(context.Context, *pb.GetProviderVersionRequest) (*pb.GetProviderVersionResponse, error) {
	return &pb.GetProviderVersionResponse{ProviderVersion: m.Impl.GetProviderVersion()}, nil
}
