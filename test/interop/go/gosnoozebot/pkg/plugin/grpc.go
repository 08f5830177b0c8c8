package plugin

import (
	"context"
	"errors"

	"github.com/golang/protobuf/ptypes"

	pb "snoozebot/interop/pluginpb"
)

// GRPCCloudProviderServer answers the CloudProvider RPCs with Impl. Like the
// Go snoozebot's glue it implements six of the seven RPCs: GetAPIVersion is
// left to the embedded UnimplementedCloudProviderServer, so a host calling it
// gets codes.Unimplemented. This is what the tests are about.
type GRPCCloudProviderServer struct {
	pb.UnimplementedCloudProviderServer
	Impl CloudProvider
}

func toProto(info *InstanceInfo) (*pb.InstanceInfo, error) {
	launch, err := ptypes.TimestampProto(info.LaunchTime)
	if err != nil {
		return nil, err
	}
	return &pb.InstanceInfo{
		Id: info.ID, Name: info.Name, Type: info.Type, Region: info.Region,
		Zone: info.Zone, State: info.State, LaunchTime: launch,
	}, nil
}

func (m *GRPCCloudProviderServer) GetInstanceInfo(ctx context.Context, _ *pb.GetInstanceInfoRequest) (*pb.GetInstanceInfoResponse, error) {
	info, err := m.Impl.GetInstanceInfo(ctx)
	if err != nil {
		return nil, err
	}
	instance, err := toProto(info)
	if err != nil {
		return nil, err
	}
	return &pb.GetInstanceInfoResponse{Instance: instance}, nil
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

func (m *GRPCCloudProviderServer) ListInstances(ctx context.Context, _ *pb.ListInstancesRequest) (*pb.ListInstancesResponse, error) {
	infos, err := m.Impl.ListInstances(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*pb.InstanceInfo, 0, len(infos))
	for _, info := range infos {
		instance, err := toProto(info)
		if err != nil {
			return nil, err
		}
		out = append(out, instance)
	}
	return &pb.ListInstancesResponse{Instances: out}, nil
}

// GRPCCloudProviderClient is the host side of the glue (six RPCs, like the server).
type GRPCCloudProviderClient struct {
	client pb.CloudProviderClient
}

func fromProto(in *pb.InstanceInfo) (*InstanceInfo, error) {
	if in == nil {
		return nil, errors.New("received no instance info from the plugin")
	}
	out := &InstanceInfo{ID: in.Id, Name: in.Name, Type: in.Type, Region: in.Region, Zone: in.Zone, State: in.State}
	if in.LaunchTime != nil {
		t, err := ptypes.Timestamp(in.LaunchTime)
		if err != nil {
			return nil, err
		}
		out.LaunchTime = t
	}
	return out, nil
}

func (m *GRPCCloudProviderClient) GetInstanceInfo(ctx context.Context) (*InstanceInfo, error) {
	resp, err := m.client.GetInstanceInfo(ctx, &pb.GetInstanceInfoRequest{})
	if err != nil {
		return nil, err
	}
	return fromProto(resp.Instance)
}

func (m *GRPCCloudProviderClient) StopInstance(ctx context.Context) error {
	resp, err := m.client.StopInstance(ctx, &pb.StopInstanceRequest{})
	if err != nil {
		return err
	}
	if !resp.Success {
		return errors.New(resp.ErrorMessage)
	}
	return nil
}

func (m *GRPCCloudProviderClient) StartInstance(ctx context.Context) error {
	resp, err := m.client.StartInstance(ctx, &pb.StartInstanceRequest{})
	if err != nil {
		return err
	}
	if !resp.Success {
		return errors.New(resp.ErrorMessage)
	}
	return nil
}

func (m *GRPCCloudProviderClient) GetProviderName() string {
	resp, err := m.client.GetProviderName(context.Background(), &pb.GetProviderNameRequest{})
	if err != nil {
		return "unknown"
	}
	return resp.ProviderName
}

func (m *GRPCCloudProviderClient) GetProviderVersion() string {
	resp, err := m.client.GetProviderVersion(context.Background(), &pb.GetProviderVersionRequest{})
	if err != nil {
		return "unknown"
	}
	return resp.ProviderVersion
}

func (m *GRPCCloudProviderClient) ListInstances(ctx context.Context) ([]*InstanceInfo, error) {
	resp, err := m.client.ListInstances(ctx, &pb.ListInstancesRequest{})
	if err != nil {
		return nil, err
	}
	out := make([]*InstanceInfo, 0, len(resp.Instances))
	for _, in := range resp.Instances {
		info, err := fromProto(in)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}
