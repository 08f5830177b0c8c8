// Command gohost is a HashiCorp go-plugin HOST for snoozebot CloudProvider
// plugins. It launches a plugin with plugin.NewClient (gRPC only), calls every
// CloudProvider method once, times a series of GetAPIVersion calls and the
// shutdown, and prints one JSON object on stdout.
//
// Usage: gohost [-mtls] [-rpcs N] [-repeat K] PLUGIN_PATH
//
// Environment: GOHOST_LOG_LEVEL sets the hclog level written to stderr
// (default "warn").
//
// Exit status 0 on success; on any failure a message goes to stderr, the
// plugin is killed and the exit status is 1. Exit status 2 is a usage error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/golang/protobuf/ptypes"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "snoozebot/interop/pluginpb"
)

const (
	pluginName  = "cloud_provider"
	callTimeout = 10 * time.Second
	// go-plugin 1.0.1 force-kills a plugin that has not exited 2s after the
	// graceful shutdown request.
	forceKillAfter = 2 * time.Second
)

var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "SNOOZEBOT_PLUGIN",
	MagicCookieValue: "snoozebot_plugin_v1",
}

// cloudProviderPlugin is the host-side go-plugin definition; only the gRPC
// client half is used.
type cloudProviderPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (cloudProviderPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("gohost does not serve plugins")
}

func (cloudProviderPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return pb.NewCloudProviderClient(c), nil
}

type instanceJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Region     string `json:"region"`
	Zone       string `json:"zone"`
	State      string `json:"state"`
	LaunchTime string `json:"launchTime"`
}

type actionJSON struct {
	Success      bool   `json:"success"`
	ErrorMessage string `json:"errorMessage"`
}

type resultsJSON struct {
	APIVersion      string         `json:"apiVersion"`
	ProviderName    string         `json:"providerName"`
	ProviderVersion string         `json:"providerVersion"`
	Instance        *instanceJSON  `json:"instance"`
	Instances       []instanceJSON `json:"instances"`
	Stop            actionJSON     `json:"stop"`
	Start           actionJSON     `json:"start"`
	StateAfterStop  string         `json:"stateAfterStop"`
	StateAfterStart string         `json:"stateAfterStart"`
}

type cycleJSON struct {
	StartToFirstRPCNs int64   `json:"startToFirstRpcNs"`
	RPCNs             []int64 `json:"rpcNs"`
	KillNs            int64   `json:"killNs"`
	// Exited: go-plugin saw the process end and it ended on its own (not by a
	// signal, i.e. not force-killed).
	Exited bool `json:"exited"`
	// ExitCode of the plugin process; -1 when it was ended by a signal.
	ExitCode int `json:"exitCode"`
	// KilledWithinGrace: Kill() returned before go-plugin's 2s force-kill.
	KilledWithinGrace bool `json:"killedWithinGrace"`
}

type outputJSON struct {
	NegotiatedVersion int          `json:"negotiatedVersion"`
	Protocol          string       `json:"protocol"`
	MTLS              bool         `json:"mtls"`
	Results           *resultsJSON `json:"results"`
	Cycles            []cycleJSON  `json:"cycles"`
}

func convertInstance(in *pb.InstanceInfo) (*instanceJSON, error) {
	if in == nil {
		return nil, nil
	}
	out := &instanceJSON{
		ID: in.Id, Name: in.Name, Type: in.Type, Region: in.Region,
		Zone: in.Zone, State: in.State,
	}
	if in.LaunchTime != nil {
		t, err := ptypes.Timestamp(in.LaunchTime)
		if err != nil {
			return nil, fmt.Errorf("invalid launch_time: %w", err)
		}
		out.LaunchTime = t.UTC().Format(time.RFC3339Nano)
	}
	return out, nil
}

func callCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), callTimeout)
}

func getState(cp pb.CloudProviderClient, after string) (string, error) {
	ctx, cancel := callCtx()
	defer cancel()
	r, err := cp.GetInstanceInfo(ctx, &pb.GetInstanceInfoRequest{})
	if err != nil {
		return "", fmt.Errorf("GetInstanceInfo after %s: %w", after, err)
	}
	if r.Instance == nil {
		return "", fmt.Errorf("GetInstanceInfo after %s: no instance in response", after)
	}
	return r.Instance.State, nil
}

// callAll performs the seven-method sequence after the first GetAPIVersion.
func callAll(cp pb.CloudProviderClient, apiVersion string) (*resultsJSON, error) {
	res := &resultsJSON{APIVersion: apiVersion, Instances: []instanceJSON{}}

	ctx, cancel := callCtx()
	defer cancel()

	name, err := cp.GetProviderName(ctx, &pb.GetProviderNameRequest{})
	if err != nil {
		return nil, fmt.Errorf("GetProviderName: %w", err)
	}
	res.ProviderName = name.ProviderName

	ver, err := cp.GetProviderVersion(ctx, &pb.GetProviderVersionRequest{})
	if err != nil {
		return nil, fmt.Errorf("GetProviderVersion: %w", err)
	}
	res.ProviderVersion = ver.ProviderVersion

	info, err := cp.GetInstanceInfo(ctx, &pb.GetInstanceInfoRequest{})
	if err != nil {
		return nil, fmt.Errorf("GetInstanceInfo: %w", err)
	}
	if res.Instance, err = convertInstance(info.Instance); err != nil {
		return nil, fmt.Errorf("GetInstanceInfo: %w", err)
	}

	list, err := cp.ListInstances(ctx, &pb.ListInstancesRequest{})
	if err != nil {
		return nil, fmt.Errorf("ListInstances: %w", err)
	}
	for i, in := range list.Instances {
		conv, err := convertInstance(in)
		if err != nil {
			return nil, fmt.Errorf("ListInstances[%d]: %w", i, err)
		}
		if conv == nil {
			return nil, fmt.Errorf("ListInstances[%d]: null instance", i)
		}
		res.Instances = append(res.Instances, *conv)
	}

	stop, err := cp.StopInstance(ctx, &pb.StopInstanceRequest{})
	if err != nil {
		return nil, fmt.Errorf("StopInstance: %w", err)
	}
	res.Stop = actionJSON{Success: stop.Success, ErrorMessage: stop.ErrorMessage}
	if res.StateAfterStop, err = getState(cp, "StopInstance"); err != nil {
		return nil, err
	}

	start, err := cp.StartInstance(ctx, &pb.StartInstanceRequest{})
	if err != nil {
		return nil, fmt.Errorf("StartInstance: %w", err)
	}
	res.Start = actionJSON{Success: start.Success, ErrorMessage: start.ErrorMessage}
	if res.StateAfterStart, err = getState(cp, "StartInstance"); err != nil {
		return nil, err
	}
	return res, nil
}

type cycleOutcome struct {
	cycle             cycleJSON
	results           *resultsJSON
	negotiatedVersion int
	protocol          string
}

// runCycle starts the plugin, exercises it and kills it. The plugin is
// killed on every path.
func runCycle(path string, mtls bool, rpcs int, logger hclog.Logger) (out cycleOutcome, err error) {
	cmd := exec.Command(path)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          plugin.PluginSet{pluginName: cloudProviderPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         mtls,
		Managed:          true, // so a signal handler can CleanupClients()
		Logger:           logger,
		StartTimeout:     10 * time.Second,
	})
	killed := false
	defer func() {
		if !killed {
			client.Kill()
		}
	}()

	t0 := time.Now()
	rpcClient, err := client.Client()
	if err != nil {
		return out, fmt.Errorf("starting plugin %s: %w", path, err)
	}
	raw, err := rpcClient.Dispense(pluginName)
	if err != nil {
		return out, fmt.Errorf("dispensing %q: %w", pluginName, err)
	}
	cp, ok := raw.(pb.CloudProviderClient)
	if !ok {
		return out, fmt.Errorf("dispensed %q has unexpected type %T", pluginName, raw)
	}

	ctx, cancel := callCtx()
	first, err := cp.GetAPIVersion(ctx, &pb.GetAPIVersionRequest{})
	cancel()
	if err != nil {
		return out, fmt.Errorf("GetAPIVersion: %w", err)
	}
	out.cycle.StartToFirstRPCNs = time.Since(t0).Nanoseconds()
	out.negotiatedVersion = client.NegotiatedVersion()
	out.protocol = string(client.Protocol())

	if out.results, err = callAll(cp, first.ApiVersion); err != nil {
		return out, err
	}

	out.cycle.RPCNs = make([]int64, 0, rpcs)
	for i := 0; i < rpcs; i++ {
		ctx, cancel := callCtx()
		t := time.Now()
		_, err := cp.GetAPIVersion(ctx, &pb.GetAPIVersionRequest{})
		d := time.Since(t).Nanoseconds()
		cancel()
		if err != nil {
			return out, fmt.Errorf("GetAPIVersion timing call %d: %w", i, err)
		}
		out.cycle.RPCNs = append(out.cycle.RPCNs, d)
	}

	tk := time.Now()
	client.Kill()
	killed = true
	out.cycle.KillNs = time.Since(tk).Nanoseconds()
	out.cycle.KilledWithinGrace = out.cycle.KillNs < forceKillAfter.Nanoseconds()

	// Kill waits for go-plugin's cmd.Wait goroutine, so ProcessState is set.
	out.cycle.ExitCode = -1
	if ps := cmd.ProcessState; ps != nil {
		out.cycle.ExitCode = ps.ExitCode()
		out.cycle.Exited = client.Exited() && ps.Exited()
	}
	return out, nil
}

func fail(format string, args ...interface{}) {
	plugin.CleanupClients()
	fmt.Fprintf(os.Stderr, "gohost: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	flags := flag.NewFlagSet("gohost", flag.ContinueOnError)
	mtls := flags.Bool("mtls", false, "negotiate go-plugin AutoMTLS")
	rpcs := flags.Int("rpcs", 200, "number of timed GetAPIVersion calls per cycle")
	repeat := flags.Int("repeat", 1, "number of start/call/kill cycles")
	flags.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: gohost [-mtls] [-rpcs N] [-repeat K] PLUGIN_PATH")
		flags.PrintDefaults()
	}
	if err := flags.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if flags.NArg() != 1 || *rpcs < 0 || *repeat < 1 {
		flags.Usage()
		os.Exit(2)
	}
	path := flags.Arg(0)

	level := hclog.LevelFromString(os.Getenv("GOHOST_LOG_LEVEL"))
	if level == hclog.NoLevel {
		level = hclog.Warn
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "gohost", Level: level, Output: os.Stderr})

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fail("interrupted by %v", s)
	}()

	out := outputJSON{MTLS: *mtls, Cycles: make([]cycleJSON, 0, *repeat)}
	for k := 0; k < *repeat; k++ {
		o, err := runCycle(path, *mtls, *rpcs, logger)
		if err != nil {
			fail("cycle %d: %v", k+1, err)
		}
		if k == 0 {
			out.Results = o.results
			out.NegotiatedVersion = o.negotiatedVersion
			out.Protocol = o.protocol
		}
		out.Cycles = append(out.Cycles, o.cycle)
	}

	enc, err := json.Marshal(out)
	if err != nil {
		fail("encoding JSON: %v", err)
	}
	os.Stdout.Write(append(enc, '\n'))
}
