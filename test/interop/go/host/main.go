// Command gohost is a HashiCorp go-plugin HOST for snoozebot CloudProvider
// plugins. It launches a plugin with plugin.NewClient (gRPC only), calls every
// CloudProvider method once, times a series of calls of one method (-rpc,
// GetAPIVersion by default) and the shutdown, and prints one JSON object on
// stdout. A method the plugin fails or lacks is recorded in results.errors,
// not fatal (the Go snoozebot guide's plugins have no GetAPIVersion, older
// ones no ListInstances); GetAPIVersion's answer is judged with the Go
// snoozebot's version.IsCompatible (results.apiCheck).
//
// Usage: gohost [-mtls] [-rpcs N] [-repeat K] [-rpc METHOD] [-version V]
//               [-min-port P -max-port P] PLUGIN_PATH
//
// Environment: GOHOST_LOG_LEVEL sets the hclog level written to stderr
// (default "warn").
//
// Exit status 0 on success; on any failure of the start, the first call or a
// timed call a message goes to stderr, the plugin is killed and the exit
// status is 1. Exit status 2 is a usage error.
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

	"google.golang.org/grpc/status"

	"snoozebot/interop/gosnoozebot/pkg/plugin/version"
	pb "snoozebot/interop/pluginpb"
)

const (
	pluginName  = "cloud_provider"
	callTimeout = 10 * time.Second
	// go-plugin 1.0.1 force-kills a plugin that has not exited 2s after the
	// graceful shutdown request.
	forceKillAfter = 2 * time.Second
)

// handshake is the Go snoozebot's; -version changes the app protocol version offered.
func handshake(protocolVersion uint) plugin.HandshakeConfig {
	return plugin.HandshakeConfig{
		ProtocolVersion:  protocolVersion,
		MagicCookieKey:   "SNOOZEBOT_PLUGIN",
		MagicCookieValue: "snoozebot_plugin_v1",
	}
}

// options are the command line's.
type options struct {
	mtls             bool
	rpcs             int
	rpc              string
	protocolVersion  uint
	minPort, maxPort uint
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
	APIVersion string `json:"apiVersion"`
	// APICheck is version.IsCompatible's verdict on APIVersion: "compatible",
	// "incompatible", "error: …", or "" when GetAPIVersion failed.
	APICheck        string         `json:"apiCheck"`
	ProviderName    string         `json:"providerName"`
	ProviderVersion string         `json:"providerVersion"`
	Instance        *instanceJSON  `json:"instance"`
	Instances       []instanceJSON `json:"instances"`
	Stop            actionJSON     `json:"stop"`
	Start           actionJSON     `json:"start"`
	StateAfterStop  string         `json:"stateAfterStop"`
	StateAfterStart string         `json:"stateAfterStart"`
	// Errors of the calls that failed, by method: "Unimplemented: …".
	Errors map[string]string `json:"errors"`
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

func callError(err error) string {
	if st, ok := status.FromError(err); ok {
		return fmt.Sprintf("%s: %s", st.Code(), st.Message())
	}
	return err.Error()
}

func getState(cp pb.CloudProviderClient) (string, error) {
	ctx, cancel := callCtx()
	defer cancel()
	r, err := cp.GetInstanceInfo(ctx, &pb.GetInstanceInfoRequest{})
	if err != nil {
		return "", err
	}
	if r.Instance == nil {
		return "", errors.New("no instance in response")
	}
	return r.Instance.State, nil
}

// apiCheck is what a Go snoozebot host makes of a plugin's API version.
func apiCheck(v string) string {
	ok, err := version.IsCompatible(v)
	switch {
	case err != nil:
		return "error: " + err.Error()
	case ok:
		return "compatible"
	default:
		return "incompatible"
	}
}

// callAll calls every CloudProvider method once, in a fixed order; a call
// that fails is recorded in Errors and the next one is made.
func callAll(cp pb.CloudProviderClient) (*resultsJSON, error) {
	res := &resultsJSON{Instances: []instanceJSON{}, Errors: map[string]string{}}
	record := func(method string, err error) { res.Errors[method] = callError(err) }

	ctx, cancel := callCtx()
	defer cancel()

	if v, err := cp.GetAPIVersion(ctx, &pb.GetAPIVersionRequest{}); err != nil {
		record("GetAPIVersion", err)
	} else {
		res.APIVersion = v.ApiVersion
		res.APICheck = apiCheck(v.ApiVersion)
	}

	if name, err := cp.GetProviderName(ctx, &pb.GetProviderNameRequest{}); err != nil {
		record("GetProviderName", err)
	} else {
		res.ProviderName = name.ProviderName
	}

	if ver, err := cp.GetProviderVersion(ctx, &pb.GetProviderVersionRequest{}); err != nil {
		record("GetProviderVersion", err)
	} else {
		res.ProviderVersion = ver.ProviderVersion
	}

	if info, err := cp.GetInstanceInfo(ctx, &pb.GetInstanceInfoRequest{}); err != nil {
		record("GetInstanceInfo", err)
	} else if res.Instance, err = convertInstance(info.Instance); err != nil {
		return nil, fmt.Errorf("GetInstanceInfo: %w", err)
	}

	if list, err := cp.ListInstances(ctx, &pb.ListInstancesRequest{}); err != nil {
		record("ListInstances", err)
	} else {
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
	}

	if stop, err := cp.StopInstance(ctx, &pb.StopInstanceRequest{}); err != nil {
		record("StopInstance", err)
	} else {
		res.Stop = actionJSON{Success: stop.Success, ErrorMessage: stop.ErrorMessage}
	}
	if state, err := getState(cp); err != nil {
		record("GetInstanceInfo after StopInstance", err)
	} else {
		res.StateAfterStop = state
	}

	if start, err := cp.StartInstance(ctx, &pb.StartInstanceRequest{}); err != nil {
		record("StartInstance", err)
	} else {
		res.Start = actionJSON{Success: start.Success, ErrorMessage: start.ErrorMessage}
	}
	if state, err := getState(cp); err != nil {
		record("GetInstanceInfo after StartInstance", err)
	} else {
		res.StateAfterStart = state
	}
	return res, nil
}

// timedCall is one call of the method chosen with -rpc.
func timedCall(cp pb.CloudProviderClient, method string) error {
	ctx, cancel := callCtx()
	defer cancel()
	var err error
	switch method {
	case "GetAPIVersion":
		_, err = cp.GetAPIVersion(ctx, &pb.GetAPIVersionRequest{})
	case "GetProviderName":
		_, err = cp.GetProviderName(ctx, &pb.GetProviderNameRequest{})
	default:
		err = fmt.Errorf("unknown method %q", method)
	}
	return err
}

type cycleOutcome struct {
	cycle             cycleJSON
	results           *resultsJSON
	negotiatedVersion int
	protocol          string
}

// runCycle starts the plugin, exercises it and kills it. The plugin is
// killed on every path.
func runCycle(path string, opts options, logger hclog.Logger) (out cycleOutcome, err error) {
	cmd := exec.Command(path)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake(opts.protocolVersion),
		Plugins:          plugin.PluginSet{pluginName: cloudProviderPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         opts.mtls,
		Managed:          true, // so a signal handler can CleanupClients()
		Logger:           logger,
		StartTimeout:     10 * time.Second,
		MinPort:          opts.minPort,
		MaxPort:          opts.maxPort,
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

	if err := timedCall(cp, opts.rpc); err != nil {
		return out, fmt.Errorf("%s: %w", opts.rpc, err)
	}
	out.cycle.StartToFirstRPCNs = time.Since(t0).Nanoseconds()
	out.negotiatedVersion = client.NegotiatedVersion()
	out.protocol = string(client.Protocol())

	if out.results, err = callAll(cp); err != nil {
		return out, err
	}

	out.cycle.RPCNs = make([]int64, 0, opts.rpcs)
	for i := 0; i < opts.rpcs; i++ {
		t := time.Now()
		err := timedCall(cp, opts.rpc)
		d := time.Since(t).Nanoseconds()
		if err != nil {
			return out, fmt.Errorf("%s timing call %d: %w", opts.rpc, i, err)
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
	rpcs := flags.Int("rpcs", 200, "number of timed calls per cycle")
	repeat := flags.Int("repeat", 1, "number of start/call/kill cycles")
	rpc := flags.String("rpc", "GetAPIVersion", "the method of the first and the timed calls: GetAPIVersion or GetProviderName")
	protocolVersion := flags.Uint("version", 1, "the app protocol version offered (PLUGIN_PROTOCOL_VERSIONS)")
	minPort := flags.Uint("min-port", 0, "PLUGIN_MIN_PORT (go-plugin's default when 0)")
	maxPort := flags.Uint("max-port", 0, "PLUGIN_MAX_PORT (go-plugin's default when 0)")
	flags.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: gohost [-mtls] [-rpcs N] [-repeat K] [-rpc METHOD] [-version V] [-min-port P -max-port P] PLUGIN_PATH")
		flags.PrintDefaults()
	}
	if err := flags.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if flags.NArg() != 1 || *rpcs < 0 || *repeat < 1 || (*rpc != "GetAPIVersion" && *rpc != "GetProviderName") {
		flags.Usage()
		os.Exit(2)
	}
	path := flags.Arg(0)
	opts := options{mtls: *mtls, rpcs: *rpcs, rpc: *rpc, protocolVersion: *protocolVersion, minPort: *minPort, maxPort: *maxPort}

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
		o, err := runCycle(path, opts, logger)
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
