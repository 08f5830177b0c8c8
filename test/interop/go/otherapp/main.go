// Command gootherapp is a go-plugin plugin of another application, shaped
// like go-plugin's own basic example: a net/rpc Greeter behind the magic
// cookie BASIC_PLUGIN=hello. Started by snoozebot (with SNOOZEBOT_PLUGIN, not
// BASIC_PLUGIN) it prints go-plugin's notice and exits 1, as it would if run
// by hand: snoozebot must say that it is not a snoozebot plugin.
package main

import (
	"net/rpc"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// Greeter is the other application's interface.
type Greeter interface {
	Greet() string
}

type greeter struct{}

func (greeter) Greet() string { return "Hello!" }

// GreeterRPCServer is the net/rpc server half.
type GreeterRPCServer struct{ Impl Greeter }

// Greet answers over net/rpc.
func (s *GreeterRPCServer) Greet(_ interface{}, resp *string) error {
	*resp = s.Impl.Greet()
	return nil
}

// GreeterRPC is the net/rpc client half.
type GreeterRPC struct{ client *rpc.Client }

// Greet asks the plugin.
func (g *GreeterRPC) Greet() string {
	var resp string
	if err := g.client.Call("Plugin.Greet", new(interface{}), &resp); err != nil {
		return err.Error()
	}
	return resp
}

// GreeterPlugin is the go-plugin definition.
type GreeterPlugin struct{ Impl Greeter }

// Server serves the greeter.
func (p *GreeterPlugin) Server(*plugin.MuxBroker) (interface{}, error) {
	return &GreeterRPCServer{Impl: p.Impl}, nil
}

// Client wraps a connection.
func (GreeterPlugin) Client(_ *plugin.MuxBroker, c *rpc.Client) (interface{}, error) {
	return &GreeterRPC{client: c}, nil
}

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  1,
			MagicCookieKey:   "BASIC_PLUGIN",
			MagicCookieValue: "hello",
		},
		Plugins: map[string]plugin.Plugin{"greeter": &GreeterPlugin{Impl: greeter{}}},
		Logger:  hclog.New(&hclog.LoggerOptions{Name: "greeter", Level: hclog.Warn, Output: os.Stderr, JSONFormat: true}),
	})
}
