package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/system"
	"github.com/spf13/cobra"

	"berth/engine"
)

// infoClient is the client half of berth info.
type infoClient struct {
	Version   string
	Debug     bool
	GitCommit string
}

// infoView is what berth info renders and --format sees: the engine's
// fields at the top level, as in docker info ({{.Containers}},
// {{.CgroupVersion}}, {{json .}}), and the client's under ClientInfo.
type infoView struct {
	*system.Info
	ClientInfo *infoClient
}

func (a *app) infoCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "info [OPTIONS]",
		Short: "Display system-wide information",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b := engine.BuildInfo()
			v := infoView{ClientInfo: &infoClient{Version: b.Version, GitCommit: b.GitCommit}}
			e, err := a.engine()
			if err == nil {
				v.Info, err = e.Info(cmd.Context())
			}
			if format != "" {
				if err != nil {
					return err
				}
				return printOne(a.stdout, format, v)
			}
			printInfo(a.stdout, a.stderr, v)
			return err
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "format the output using a Go template, or 'json'")
	return cmd
}

// printInfo writes docker info's layout; warnings go to errw, as Docker's do.
func printInfo(w, errw io.Writer, v infoView) {
	fmt.Fprintln(w, "Client:")
	fmt.Fprintln(w, " Version:   ", v.ClientInfo.Version)
	fmt.Fprintln(w, " Debug Mode:", v.ClientInfo.Debug)
	if v.Info == nil {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Server:")
	printServerInfo(w, v.Info)
	for _, warn := range v.Warnings {
		fmt.Fprintln(errw, warn)
	}
}

func printServerInfo(w io.Writer, i *system.Info) {
	fmt.Fprintln(w, " Containers:", i.Containers)
	fmt.Fprintln(w, "  Running:", i.ContainersRunning)
	fmt.Fprintln(w, "  Paused:", i.ContainersPaused)
	fmt.Fprintln(w, "  Stopped:", i.ContainersStopped)
	fmt.Fprintln(w, " Images:", i.Images)
	fmt.Fprintln(w, " Server Version:", i.ServerVersion)
	fmt.Fprintln(w, " Storage Driver:", i.Driver)
	for _, kv := range i.DriverStatus {
		fmt.Fprintf(w, "  %s: %s\n", kv[0], kv[1])
	}
	fmt.Fprintln(w, " Logging Driver:", i.LoggingDriver)
	fmt.Fprintln(w, " Cgroup Driver:", i.CgroupDriver)
	fmt.Fprintln(w, " Cgroup Version:", i.CgroupVersion)
	fmt.Fprintln(w, " Plugins:")
	fmt.Fprintln(w, "  Volume:", strings.Join(i.Plugins.Volume, " "))
	fmt.Fprintln(w, "  Network:", strings.Join(i.Plugins.Network, " "))
	fmt.Fprintln(w, "  Log:", strings.Join(i.Plugins.Log, " "))
	fmt.Fprintln(w, " Swarm:", i.Swarm.LocalNodeState)
	var runtimes []string
	for name := range i.Runtimes {
		runtimes = append(runtimes, name)
	}
	slices.Sort(runtimes)
	fmt.Fprintln(w, " Runtimes:", strings.Join(runtimes, " "))
	fmt.Fprintln(w, " Default Runtime:", i.DefaultRuntime)
	fmt.Fprintln(w, " Init Binary:", i.InitBinary)
	fmt.Fprintln(w, " runc version:", i.RuncCommit.ID)
	fmt.Fprintln(w, " init version:", i.InitCommit.ID)
	printSecurityOptions(w, i.SecurityOptions)
	printHostInfo(w, i)
}

// printSecurityOptions turns "name=seccomp,profile=builtin" into Docker's
// "  seccomp" / "   Profile: builtin" lines.
func printSecurityOptions(w io.Writer, opts []string) {
	if len(opts) == 0 {
		return
	}
	fmt.Fprintln(w, " Security Options:")
	for _, o := range opts {
		var rest []string
		for _, kv := range strings.Split(o, ",") {
			k, v, _ := strings.Cut(kv, "=")
			if k == "name" {
				fmt.Fprintln(w, "  "+v)
				continue
			}
			rest = append(rest, fmt.Sprintf("   %s: %s", strings.ToUpper(k[:1])+k[1:], v))
		}
		for _, r := range rest {
			fmt.Fprintln(w, r)
		}
	}
}

func printHostInfo(w io.Writer, i *system.Info) {
	fmt.Fprintln(w, " Kernel Version:", i.KernelVersion)
	fmt.Fprintln(w, " Operating System:", i.OperatingSystem)
	fmt.Fprintln(w, " OSType:", i.OSType)
	fmt.Fprintln(w, " Architecture:", i.Architecture)
	fmt.Fprintln(w, " CPUs:", i.NCPU)
	fmt.Fprintln(w, " Total Memory:", units.BytesSize(float64(i.MemTotal)))
	fmt.Fprintln(w, " Name:", i.Name)
	fmt.Fprintln(w, " ID:", i.ID)
	fmt.Fprintln(w, " Docker Root Dir:", i.DockerRootDir)
	fmt.Fprintln(w, " Debug Mode:", i.Debug)
	for _, p := range []struct{ name, val string }{{"HTTP Proxy", i.HTTPProxy}, {"HTTPS Proxy", i.HTTPSProxy}, {"No Proxy", i.NoProxy}} {
		if p.val != "" {
			fmt.Fprintf(w, " %s: %s\n", p.name, p.val)
		}
	}
	fmt.Fprintln(w, " Experimental:", i.ExperimentalBuild)
	if i.RegistryConfig != nil && len(i.RegistryConfig.InsecureRegistryCIDRs) > 0 {
		fmt.Fprintln(w, " Insecure Registries:")
		for _, c := range i.RegistryConfig.InsecureRegistryCIDRs {
			fmt.Fprintln(w, "  "+c.String())
		}
	}
	fmt.Fprintln(w, " Live Restore Enabled:", i.LiveRestoreEnabled)
	if i.FirewallBackend != nil {
		fmt.Fprintln(w, " Firewall Backend:", i.FirewallBackend.Driver)
	}
}
