package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"berth/engine"
	"berth/engine/opts"
)

// updateFlags are docker update's flags, as given.
type updateFlags struct {
	memory, memorySwap, cpus, cpusetCpus, restart string
	memoryReservation                             string
	cpuShares, pidsLimit, cpuPeriod, cpuQuota     int64
}

func (a *app) updateCommand() *cobra.Command {
	f := &updateFlags{}
	cmd := &cobra.Command{
		Use:   "update [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Update configuration of one or more containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options(cmd.Flags())
			if err != nil {
				return err
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			return eachRef(a, args, func(ref string) error { return e.Update(cmd.Context(), ref, o) })
		},
	}
	f.register(cmd.Flags())
	return cmd
}

func (f *updateFlags) register(fl *pflag.FlagSet) {
	fl.StringVarP(&f.memory, "memory", "m", "", "memory limit (e.g. 64m, 1g)")
	fl.StringVar(&f.memorySwap, "memory-swap", "", "memory plus swap limit; -1 for unlimited swap")
	fl.StringVar(&f.cpus, "cpus", "", "number of CPUs (e.g. 0.5)")
	fl.Int64VarP(&f.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fl.StringVar(&f.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fl.Int64Var(&f.pidsLimit, "pids-limit", 0, "process limit (-1 for unlimited)")
	fl.StringVar(&f.restart, "restart", "", "restart policy to apply when a container exits")
	fl.StringVar(&f.memoryReservation, "memory-reservation", "", "memory soft limit (e.g. 32m)")
	fl.Int64Var(&f.cpuPeriod, "cpu-period", 0, "CPU CFS period in microseconds")
	fl.Int64Var(&f.cpuQuota, "cpu-quota", 0, "CPU CFS quota in microseconds per period")
}

// options turns the flags that were given into engine.UpdateOptions; the
// others stay nil (unchanged). Giving none is an error, as in Docker.
func (f *updateFlags) options(fs *pflag.FlagSet) (engine.UpdateOptions, error) {
	var o engine.UpdateOptions
	given := false
	for _, name := range []string{"memory", "memory-swap", "cpus", "cpu-shares", "cpuset-cpus", "pids-limit", "restart",
		"memory-reservation", "cpu-period", "cpu-quota"} {
		given = given || fs.Changed(name)
	}
	if !given {
		return o, invalid("you must provide one or more flags when using this command")
	}
	if fs.Changed("memory") {
		m, err := opts.ParseMemory(f.memory)
		if err == nil && m == 0 {
			err = invalid("invalid --memory %q: want a positive size such as 64m", f.memory)
		}
		if err != nil {
			return o, err
		}
		o.Memory = &m
	}
	if fs.Changed("memory-swap") {
		m, err := opts.ParseMemorySwap(f.memorySwap)
		if err == nil && m == 0 {
			err = invalid("invalid --memory-swap %q: want a size such as 128m, or -1", f.memorySwap)
		}
		if err != nil {
			return o, err
		}
		o.MemorySwap = &m
	}
	if fs.Changed("cpus") {
		n, err := opts.ParseCPUs(f.cpus)
		if err == nil && n == 0 {
			err = invalid("invalid --cpus %q: want a positive number such as 0.5", f.cpus)
		}
		if err != nil {
			return o, err
		}
		o.NanoCPUs = &n
	}
	// As in Docker, 0 shares and an empty CPU set leave the value as it is.
	if fs.Changed("cpu-shares") && f.cpuShares != 0 {
		o.CPUShares = &f.cpuShares
	}
	if fs.Changed("cpuset-cpus") && f.cpusetCpus != "" {
		o.CpusetCpus = &f.cpusetCpus
	}
	if fs.Changed("pids-limit") {
		o.PidsLimit = &f.pidsLimit
	}
	if err := f.softLimits(fs, &o); err != nil {
		return o, err
	}
	if fs.Changed("restart") {
		p, err := opts.ParseRestart(f.restart)
		if err != nil {
			return o, err
		}
		o.Restart = &p
	}
	return o, nil
}

// softLimits takes --memory-reservation, --cpu-period and --cpu-quota into
// o; as in Docker, 0 leaves a value as it is.
func (f *updateFlags) softLimits(fs *pflag.FlagSet, o *engine.UpdateOptions) error {
	if fs.Changed("memory-reservation") {
		m, err := opts.ParseMemoryReservation(f.memoryReservation)
		if err != nil {
			return err
		}
		if m != 0 {
			o.MemoryReservation = &m
		}
	}
	if fs.Changed("cpu-period") && f.cpuPeriod != 0 {
		o.CPUPeriod = &f.cpuPeriod
	}
	if fs.Changed("cpu-quota") && f.cpuQuota != 0 {
		o.CPUQuota = &f.cpuQuota
	}
	return nil
}
