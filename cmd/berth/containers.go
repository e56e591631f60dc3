package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"berth/engine"
	"berth/engine/api"
	"berth/engine/opts"
)

func (a *app) containerCommands() []*cobra.Command {
	return []*cobra.Command{
		a.runCommand(), a.createCommand(), a.startCommand(), a.psCommand(),
		a.stopCommand(), a.restartCommand(), a.killCommand(), a.simpleCommand("pause", "Pause all processes in containers", (api.Engine).Pause),
		a.simpleCommand("unpause", "Unpause all processes in containers", (api.Engine).Unpause),
		a.waitCommand(), a.renameCommand(), a.rmCommand(), a.inspectCommand(),
		a.logsCommand(), a.execCommand(), a.attachCommand(), a.statsCommand(), a.topCommand(), a.updateCommand(),
	}
}

// containerGroup is "berth container VERB" (ls, prune and the top-level verbs).
func (a *app) containerGroup() *cobra.Command {
	g := &cobra.Command{Use: "container", Short: "Manage containers"}
	ls := a.psCommand()
	ls.Use, ls.Aliases = "ls", []string{"ps", "list"}
	g.AddCommand(a.containerCommands()...)
	g.AddCommand(ls, a.pruneCommand())
	g.AddCommand(a.snapshotCommands()...)
	return g
}

func (a *app) runCommand() *cobra.Command {
	f := &runFlags{}
	var af attachFlags
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options(cmd.Flags(), args)
			if err != nil {
				return err
			}
			return a.run(cmd.Context(), o, f.detach, af)
		},
	}
	f.register(cmd.Flags())
	af.register(cmd.Flags(), false)
	cmd.Flags().BoolVarP(&f.detach, "detach", "d", false, "run in the background and print the container ID")
	cmd.Flags().BoolVar(&f.rm, "rm", false, "remove the container when it exits")
	return cmd
}

func (a *app) run(ctx context.Context, o engine.CreateOptions, detach bool, af attachFlags) error {
	if _, err := detachKeyBytes(af.detachKeys); err != nil {
		return err
	}
	e, err := a.engine()
	if err != nil {
		return err
	}
	a.withConsoleSize(&o)
	if detach {
		c, _, err := opts.Run(ctx, e, o, opts.RunOptions{})
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, c.ID)
		return nil
	}
	c, code, err := opts.Run(ctx, e, o, opts.RunOptions{Wait: removedWait(e),
		Attach: func(ctx context.Context, c *engine.Container) (int, error) { return a.attach(ctx, c, af) }})
	if c == nil {
		return err
	}
	return a.sessionEnd(code, err, false)
}

// removedWait waits for the removal of an --rm container, which the engine
// does itself as soon as the container ends.
func removedWait(e interface {
	WaitFor(ctx context.Context, ref string, cond engine.WaitCondition) (int, error)
}) func(context.Context, string) (int, error) {
	return func(ctx context.Context, ref string) (int, error) { return e.WaitFor(ctx, ref, engine.WaitRemoved) }
}

func exitWith(code int) error {
	if code == 0 {
		return nil
	}
	return exitError{code}
}

func (a *app) createCommand() *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.detach = true
			o, err := f.options(cmd.Flags(), args)
			if err != nil {
				return err
			}
			o.Config.AttachStdout, o.Config.AttachStderr = true, true
			o.Config.StdinOnce = f.interactive
			e, err := a.engine()
			if err != nil {
				return err
			}
			a.withConsoleSize(&o)
			c, err := e.Create(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, c.ID)
			return nil
		},
	}
	f.register(cmd.Flags())
	return cmd
}

func (a *app) startCommand() *cobra.Command {
	var attach, interactive bool
	af := attachFlags{sigProxy: true}
	cmd := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			if attach || interactive {
				if len(args) != 1 {
					return invalid("you cannot start and attach multiple containers at once")
				}
				if _, err := detachKeyBytes(af.detachKeys); err != nil {
					return err
				}
				c, err := e.Inspect(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if err := e.Start(cmd.Context(), c.ID, engine.StartOptions{WaitAttach: true}); err != nil {
					return err
				}
				if !interactive {
					af.noStdin = true
				}
				code, err := a.attach(cmd.Context(), c, af)
				return a.sessionEnd(code, err, false)
			}
			return eachRef(a, args, func(ref string) error { return e.Start(cmd.Context(), ref, engine.StartOptions{}) })
		},
	}
	cmd.Flags().BoolVarP(&attach, "attach", "a", false, "attach STDOUT/STDERR and forward signals")
	cmd.Flags().BoolVarP(&interactive, "interactive", "i", false, "attach the container's STDIN")
	cmd.Flags().StringVar(&af.detachKeys, "detach-keys", "", "override the key sequence for detaching (default ctrl-p,ctrl-q)")
	return cmd
}

// eachRef applies fn to every container argument, printing each name that
// succeeded and every error, as docker does for multi-container verbs.
func eachRef(a *app, refs []string, fn func(string) error) error {
	var failed []string
	for _, r := range refs {
		if err := fn(r); err != nil {
			fmt.Fprintln(a.stderr, "berth:", err)
			failed = append(failed, r)
			continue
		}
		fmt.Fprintln(a.stdout, r)
	}
	if len(failed) > 0 {
		return exitError{1}
	}
	return nil
}

// parallelLimit bounds how many containers stop, restart, kill and rm change
// at once (docker's CLI allows 50).
const parallelLimit = 50

// eachRefParallel applies fn to every container argument concurrently (at
// most parallelLimit at a time) and reports as eachRef does, in argument
// order: stopping four containers that ignore SIGTERM takes one timeout, not
// four, as with docker.
func eachRefParallel(a *app, refs []string, fn func(string) error) error {
	sem := make(chan struct{}, parallelLimit)
	results := make([]chan error, len(refs))
	for i, r := range refs {
		results[i] = make(chan error, 1)
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] <- fn(r)
		}()
	}
	failed := false
	for i, r := range refs {
		if err := <-results[i]; err != nil {
			fmt.Fprintln(a.stderr, "berth:", err)
			failed = true
			continue
		}
		fmt.Fprintln(a.stdout, r)
	}
	if failed {
		return exitError{1}
	}
	return nil
}

func (a *app) stopCommand() *cobra.Command {
	return a.timedCommand("stop", "Stop one or more running containers", (api.Engine).Stop)
}

func (a *app) restartCommand() *cobra.Command {
	return a.timedCommand("restart", "Restart one or more containers", (api.Engine).Restart)
}

// timedCommand is a verb that takes containers, -t/--time and -s/--signal
// (stop, restart).
func (a *app) timedCommand(use, short string, fn func(api.Engine, context.Context, string, engine.StopOptions) error) *cobra.Command {
	var secs int
	var sig string
	cmd := &cobra.Command{
		Use:   use + " [OPTIONS] CONTAINER [CONTAINER...]",
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			if sig != "" {
				if _, err := engine.ParseSignal(sig); err != nil {
					return err
				}
			}
			o := engine.StopOptions{Timeout: timeoutFlag(cmd, secs), Signal: sig}
			return eachRefParallel(a, args, func(ref string) error { return fn(e, cmd.Context(), ref, o) })
		},
	}
	cmd.Flags().IntVarP(&secs, "time", "t", 10, "seconds to wait before killing the container")
	cmd.Flags().StringVarP(&sig, "signal", "s", "", "signal to send instead of the container's stop signal")
	return cmd
}

func timeoutFlag(cmd *cobra.Command, secs int) *time.Duration {
	if !cmd.Flags().Changed("time") {
		return nil
	}
	d := time.Duration(secs) * time.Second
	return &d
}

func (a *app) killCommand() *cobra.Command {
	var sig string
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Kill one or more running containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			if _, err := engine.ParseSignal(sig); err != nil {
				return err
			}
			return eachRefParallel(a, args, func(ref string) error { return e.Kill(cmd.Context(), ref, sig) })
		},
	}
	cmd.Flags().StringVarP(&sig, "signal", "s", "KILL", "signal to send to the container")
	return cmd
}

func (a *app) simpleCommand(use, short string, fn func(api.Engine, context.Context, string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use + " CONTAINER [CONTAINER...]",
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return eachRef(a, args, func(ref string) error { return fn(e, cmd.Context(), ref) })
		},
	}
}

func (a *app) waitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER [CONTAINER...]",
		Short: "Block until one or more containers stop, then print their exit codes",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			var firstErr error
			for _, ref := range args {
				code, err := e.Wait(cmd.Context(), ref)
				if err != nil {
					fmt.Fprintln(a.stderr, "berth:", err)
					firstErr = exitError{1}
					continue
				}
				fmt.Fprintln(a.stdout, code)
			}
			return firstErr
		},
	}
}

func (a *app) renameCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return e.Rename(cmd.Context(), args[0], args[1])
		},
	}
}

func (a *app) rmCommand() *cobra.Command {
	var o engine.RemoveOptions
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more containers",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return eachRefParallel(a, args, func(ref string) error { return e.Remove(cmd.Context(), ref, o) })
		},
	}
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "force the removal of a running container (uses SIGKILL)")
	cmd.Flags().BoolVarP(&o.Volumes, "volumes", "v", false, "remove anonymous volumes associated with the container")
	return cmd
}

func (a *app) pruneCommand() *cobra.Command {
	var force bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all stopped containers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := engine.ParsePruneFilters(filters, time.Now())
			if err != nil {
				return err
			}
			if !force && !confirm(a, "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ") {
				return nil
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			rep, err := e.PruneContainers(cmd.Context(), f)
			if len(rep.ContainersDeleted) > 0 {
				fmt.Fprintln(a.stdout, "Deleted Containers:")
				for _, id := range rep.ContainersDeleted {
					fmt.Fprintln(a.stdout, id)
				}
				fmt.Fprintln(a.stdout)
			}
			fmt.Fprintf(a.stdout, "Total reclaimed space: %s\n", humanSize(int64(rep.SpaceReclaimed)))
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	stringArrayVarP(cmd.Flags(), &filters, "filter", "", "only containers that match (until=T, label=K[=V], label!=K[=V])")
	return cmd
}

func confirm(a *app, prompt string) bool {
	fmt.Fprint(a.stdout, prompt)
	var ans string
	fmt.Fscanln(a.stdin, &ans)
	ans = strings.ToLower(strings.TrimSpace(ans))
	return ans == "y" || ans == "yes"
}
