// Command goguide is a cloud provider plugin written the way the Go
// snoozebot's plugin guide shows: it implements snoozePlugin.CloudProvider,
// checks its API version with version.IsCompatible, and hands a
// snoozePlugin.CloudProviderPlugin to go-plugin's plugin.Serve with
// snoozePlugin.Handshake. Its gRPC glue has no GetAPIVersion (UNIMPLEMENTED),
// which snoozebot must take as an unversioned plugin.
//
// Fixed data: provider "go-guide" 0.1.0, instance i-0go0guide (running) and a
// second one in ListInstances. GO_GUIDE_API_VERSION overrides the API version
// the plugin checks itself with (to see the guide's own refusal).
package main

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	snoozePlugin "snoozebot/interop/gosnoozebot/pkg/plugin"
	"snoozebot/interop/gosnoozebot/pkg/plugin/version"
)

type guideProvider struct {
	logger hclog.Logger
	mu     sync.Mutex
	state  string
}

var launched = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func (p *guideProvider) GetAPIVersion() string { return snoozePlugin.CurrentAPIVersion }

func (p *guideProvider) GetInstanceInfo(context.Context) (*snoozePlugin.InstanceInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return &snoozePlugin.InstanceInfo{
		ID: "i-0go0guide", Name: "go-guide", Type: "guide.small", Region: "local-1",
		Zone: "local-1a", State: p.state, LaunchTime: launched,
	}, nil
}

func (p *guideProvider) StopInstance(context.Context) error {
	p.logger.Info("stopping instance")
	p.mu.Lock()
	p.state = "stopped"
	p.mu.Unlock()
	return nil
}

func (p *guideProvider) StartInstance(context.Context) error {
	p.logger.Info("starting instance")
	p.mu.Lock()
	p.state = "running"
	p.mu.Unlock()
	return nil
}

func (p *guideProvider) GetProviderName() string    { return "go-guide" }
func (p *guideProvider) GetProviderVersion() string { return "0.1.0" }

func (p *guideProvider) ListInstances(ctx context.Context) ([]*snoozePlugin.InstanceInfo, error) {
	self, _ := p.GetInstanceInfo(ctx)
	other := &snoozePlugin.InstanceInfo{
		ID: "i-0go0guide2", Name: "go-guide-2", Type: "guide.large", Region: "local-1",
		Zone: "local-1b", State: "stopped", LaunchTime: launched.Add(-24 * time.Hour),
	}
	return []*snoozePlugin.InstanceInfo{self, other}, nil
}

func (p *guideProvider) Shutdown() { p.logger.Info("shutting down") }

func main() {
	logger := hclog.New(&hclog.LoggerOptions{
		Name:       "go-guide",
		Level:      hclog.Warn,
		Output:     os.Stderr,
		JSONFormat: true,
	})
	provider := &guideProvider{logger: logger, state: "running"}

	apiVersion := provider.GetAPIVersion()
	if v := os.Getenv("GO_GUIDE_API_VERSION"); v != "" {
		apiVersion = v
	}
	compatible, err := version.IsCompatible(apiVersion)
	if err != nil || !compatible {
		logger.Error("Plugin API version is not compatible with host", "plugin_version", apiVersion,
			"current_version", version.CurrentVersion, "error", err)
		os.Exit(1)
	}

	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: snoozePlugin.Handshake,
		Plugins: map[string]plugin.Plugin{
			"cloud_provider": &snoozePlugin.CloudProviderPlugin{Impl: provider},
		},
		GRPCServer: plugin.DefaultGRPCServer,
		Logger:     logger,
	})
}
