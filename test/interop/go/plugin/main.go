// Command goplugin is a snoozebot CloudProvider fixture plugin served by
// HashiCorp go-plugin's own plugin.Serve over gRPC. It returns fixed data and
// is used to prove that snoozebot's TypeScript host interoperates with a real
// Go plugin.
//
// Build in GOPATH mode after generating snoozebot/interop/pluginpb from
// proto/plugin/cloud_provider.proto (see ../README.md and ../../go-build.ts).
//
// Environment:
//
//	GO_FIXTURE_FAIL_STOP=1  StopInstance answers success=false with
//	                        error_message "stop refused by fixture".
//	GO_FIXTURE_LOG_LEVEL    hclog level for the plugin's own logs (default warn).
package main

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/golang/protobuf/ptypes"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "snoozebot/interop/pluginpb"
)

var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "SNOOZEBOT_PLUGIN",
	MagicCookieValue: "snoozebot_plugin_v1",
}

// fixture is the CloudProvider implementation with fixed data.
type fixture struct {
	mu       sync.Mutex
	state    string
	failStop bool
	launch   time.Time
}

func (f *fixture) instance() (*pb.InstanceInfo, error) {
	ts, err := ptypes.TimestampProto(f.launch)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	state := f.state
	f.mu.Unlock()
	return &pb.InstanceInfo{
		Id:         "i-0go0fixture",
		Name:       "go-fixture",
		Type:       "fixture.small",
		Region:     "local-1",
		Zone:       "local-1a",
		State:      state,
		LaunchTime: ts,
	}, nil
}

func (f *fixture) GetAPIVersion(context.Context, *pb.GetAPIVersionRequest) (*pb.GetAPIVersionResponse, error) {
	return &pb.GetAPIVersionResponse{ApiVersion: "1"}, nil
}

func (f *fixture) GetProviderName(context.Context, *pb.GetProviderNameRequest) (*pb.GetProviderNameResponse, error) {
	return &pb.GetProviderNameResponse{ProviderName: "go-fixture"}, nil
}

func (f *fixture) GetProviderVersion(context.Context, *pb.GetProviderVersionRequest) (*pb.GetProviderVersionResponse, error) {
	return &pb.GetProviderVersionResponse{ProviderVersion: "1.0.0"}, nil
}

func (f *fixture) GetInstanceInfo(context.Context, *pb.GetInstanceInfoRequest) (*pb.GetInstanceInfoResponse, error) {
	inst, err := f.instance()
	if err != nil {
		return nil, err
	}
	return &pb.GetInstanceInfoResponse{Instance: inst}, nil
}

func (f *fixture) ListInstances(context.Context, *pb.ListInstancesRequest) (*pb.ListInstancesResponse, error) {
	inst, err := f.instance()
	if err != nil {
		return nil, err
	}
	return &pb.ListInstancesResponse{Instances: []*pb.InstanceInfo{inst}}, nil
}

func (f *fixture) StopInstance(context.Context, *pb.StopInstanceRequest) (*pb.StopInstanceResponse, error) {
	if f.failStop {
		return &pb.StopInstanceResponse{Success: false, ErrorMessage: "stop refused by fixture"}, nil
	}
	f.mu.Lock()
	f.state = "stopped"
	f.mu.Unlock()
	return &pb.StopInstanceResponse{Success: true}, nil
}

func (f *fixture) StartInstance(context.Context, *pb.StartInstanceRequest) (*pb.StartInstanceResponse, error) {
	f.mu.Lock()
	f.state = "running"
	f.mu.Unlock()
	return &pb.StartInstanceResponse{Success: true}, nil
}

// cloudProviderPlugin registers the fixture with go-plugin's gRPC server.
type cloudProviderPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl pb.CloudProviderServer
}

func (p *cloudProviderPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterCloudProviderServer(s, p.impl)
	return nil
}

func (p *cloudProviderPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return pb.NewCloudProviderClient(c), nil
}

// logLevel reads GO_FIXTURE_LOG_LEVEL (default "warn").
func logLevel() hclog.Level {
	if l := hclog.LevelFromString(os.Getenv("GO_FIXTURE_LOG_LEVEL")); l != hclog.NoLevel {
		return l
	}
	return hclog.Warn
}

func main() {
	impl := &fixture{
		state:    "running",
		failStop: os.Getenv("GO_FIXTURE_FAIL_STOP") == "1",
		launch:   time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: handshake,
		Plugins: plugin.PluginSet{
			"cloud_provider": &cloudProviderPlugin{impl: impl},
		},
		GRPCServer: plugin.DefaultGRPCServer,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:       "go-fixture",
			Level:      logLevel(),
			Output:     os.Stderr,
			JSONFormat: true, // the go-plugin host parses JSON log lines
		}),
	})
}
