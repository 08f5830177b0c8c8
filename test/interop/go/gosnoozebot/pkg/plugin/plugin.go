// Package plugin is a stand-in for the Go snoozebot's pkg/plugin glue, the
// package its plugin guide has every plugin import as snoozePlugin: the
// Handshake, the semantic CurrentAPIVersion, the CloudProvider interface a
// plugin implements and CloudProviderPlugin, which go-plugin's plugin.Serve
// serves. It is written here from the shape of that package (same exported
// names and behaviour), so that the interop tests load a plugin built exactly
// the way the guide tells its readers to build one.
//
// One difference of layout, none on the wire: the Go snoozebot generates its
// protobuf code into this same package, here it comes from
// snoozebot/interop/pluginpb, generated from proto/plugin/cloud_provider.proto
// (same package, names and field numbers).
package plugin

import (
	"context"
	"errors"
	"net/rpc"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "snoozebot/interop/pluginpb"
)

const (
	// CurrentAPIVersion is the plugin API version, checked with version.IsCompatible.
	CurrentAPIVersion = "0.1.0"
	// ProtocolVersion is go-plugin's app protocol version.
	ProtocolVersion = 1
)

// Handshake is shared by host and plugin.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "SNOOZEBOT_PLUGIN",
	MagicCookieValue: "snoozebot_plugin_v1",
}

// PluginMap is the map of plugins a host can dispense.
var PluginMap = map[string]plugin.Plugin{
	"cloud_provider": &CloudProviderPlugin{},
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

// CloudProvider is what a cloud provider plugin implements.
type CloudProvider interface {
	GetAPIVersion() string
	GetInstanceInfo(ctx context.Context) (*InstanceInfo, error)
	StopInstance(ctx context.Context) error
	StartInstance(ctx context.Context) error
	GetProviderName() string
	GetProviderVersion() string
	ListInstances(ctx context.Context) ([]*InstanceInfo, error)
	Shutdown()
}

// CloudProviderPlugin serves and consumes a CloudProvider over gRPC only.
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

// GRPCClient returns the host's view of the plugin.
func (p *CloudProviderPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return &GRPCCloudProviderClient{client: pb.NewCloudProviderClient(c)}, nil
}
