// Command golegacy is a cloud provider plugin built against the Go
// snoozebot's first plugin glue (before API 0.1.0): five RPCs, no
// GetAPIVersion and no ListInstances, and the instance's fields flat in
// GetInstanceInfoResponse. Fixed data: provider "go-legacy" 0.0.1, instance
// i-0go0legacy.
package main

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	snoozePlugin "snoozebot/interop/gosnoozebot-legacy/pkg/plugin"
)

type legacyProvider struct {
	mu    sync.Mutex
	state string
}

func (p *legacyProvider) GetInstanceInfo(context.Context) (*snoozePlugin.InstanceInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return &snoozePlugin.InstanceInfo{
		ID: "i-0go0legacy", Name: "go-legacy", Type: "legacy.small", Region: "local-1",
		Zone: "local-1a", State: p.state, LaunchTime: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
	}, nil
}

func (p *legacyProvider) StopInstance(context.Context) error {
	p.mu.Lock()
	p.state = "stopped"
	p.mu.Unlock()
	return nil
}

func (p *legacyProvider) StartInstance(context.Context) error {
	p.mu.Lock()
	p.state = "running"
	p.mu.Unlock()
	return nil
}

func (p *legacyProvider) GetProviderName() string    { return "go-legacy" }
func (p *legacyProvider) GetProviderVersion() string { return "0.0.1" }

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: snoozePlugin.Handshake,
		Plugins: map[string]plugin.Plugin{
			"cloud_provider": &snoozePlugin.CloudProviderPlugin{Impl: &legacyProvider{state: "running"}},
		},
		GRPCServer: plugin.DefaultGRPCServer,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:       "go-legacy",
			Level:      hclog.Warn,
			Output:     os.Stderr,
			JSONFormat: true,
		}),
	})
}
