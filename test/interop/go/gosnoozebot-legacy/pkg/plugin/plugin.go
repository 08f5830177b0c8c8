// Package plugin is a stand-in for the Go snoozebot's pkg/plugin glue as its
// first builds had it, before API 0.1.0: the same Handshake, a CloudProvider
// of five methods, and a GetInstanceInfoResponse that carries the instance's
// fields itself (cloud_provider_legacy.proto). Plugins built against it are
// still around; snoozebot reads their answers and says what they lack.
package plugin

import (
	"context"
	"errors"
	"net/rpc"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "snoozebot/interop/legacypb"
)

// Handshake is shared by host and plugin.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "SNOOZEBOT_PLUGIN",
	MagicCookieValue: "snoozebot_plugin_v1",
}

// InstanceInfo describes one cloud instance.
type InstanceInfo struct {
	ID         string
	Name       string
	Type       string
	Region     string
	Zone       string
	State      string
	LaunchTime time.Time
}

// CloudProvider is what a plugin implemented then.
type CloudProvider interface {
	GetInstanceInfo(ctx context.Context) (*InstanceInfo, error)
	StopInstance(ctx context.Context) error
	StartInstance(ctx context.Context) error
	GetProviderName() string
	GetProviderVersion() string
}

// CloudProviderPlugin serves a CloudProvider over gRPC only.
type CloudProviderPlugin struct {
	Impl CloudProvider
}

// Server is go-plugin's net/rpc half, which the glue does not offer.
func (p *CloudProviderPlugin) Server(*plugin.MuxBroker) (interface{}, error) {
	return nil, errors.New("not implemented")
}

// Client is go-plugin's net/rpc half, which the glue does not offer.
func (p *CloudProviderPlugin) Client(*plugin.MuxBroker, *rpc.Client) (interface{}, error) {
	return nil, errors.New("not implemented")
}

// GRPCServer registers the plugin's CloudProvider service.
func (p *CloudProviderPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterCloudProviderServer(s, &GRPCCloudProviderServer{Impl: p.Impl})
	return nil
}

// GRPCClient is the host's view: the generated client.
func (p *CloudProviderPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return pb.NewCloudProviderClient(c), nil
}
