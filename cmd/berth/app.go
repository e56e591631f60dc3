package main

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"berth/engine"
	"berth/engine/api"
	"berth/engine/client"
)

// app holds what every verb shares: the streams and the engine, opened on first use.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	rootDir        string
	eng            *engine.Engine // the in-process engine, opened on first use
	// api, when set, is the engine every verb uses (the UI's, which may be
	// remote); else the in-process engine is.
	api api.Engine
	// host, when set, is the API socket of the engine to drive (--host);
	// remote is the client opened on it.
	host   string
	remote *client.Client
	// inUI says the command was typed in the UI (after `:`), which owns eng.
	inUI bool
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "berth",
		Short:         "A terminal-UI container manager with its own daemonless container engine",
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runTUI(cmd)
		},
	}
	def := os.Getenv("BERTH_ROOT")
	if def == "" {
		def = engine.DefaultRoot
	}
	root.PersistentFlags().Bool("help", false, "help for a command") // -h is --hostname, as in docker
	root.PersistentFlags().StringVar(&a.rootDir, "root", def, "data root of berth (env BERTH_ROOT)")
	root.PersistentFlags().StringVarP(&a.host, "host", "H", os.Getenv("BERTH_HOST"),
		"drive the engine behind a Docker Engine API socket (unix:///path, as berth serve makes; tcp://host:port) or berth on another machine over ssh (ssh://[user@]host[:port]) instead of the local one (env BERTH_HOST)")
	root.SetFlagErrorFunc(flagError)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.AddCommand(a.containerCommands()...)
	root.AddCommand(a.snapshotCommands()...)
	root.AddCommand(a.buildCommand())
	root.AddCommand(a.containerGroup(), a.imageCommands(), a.eventsCommand(), a.networkCommands(), a.portCommand(), a.systemCommands(), a.volumeCommands(), a.cpCommand(), a.builderCommands())
	root.AddCommand(a.imageTopLevel()...)
	root.AddCommand(a.registryCommands()...)
	root.AddCommand(a.versionCommand(), a.infoCommand(), a.serveCommand())
	root.Version = versionLine(engine.BuildInfo()) // berth --version, as docker --version
	return root
}

// engine returns the engine's API, opened on first use: every verb goes
// through it (engine/api), never past it.
func (a *app) engine() (api.Engine, error) {
	if a.api != nil {
		return a.api, nil
	}
	if a.host != "" {
		c, err := client.New(context.Background(), a.host)
		if err != nil {
			return nil, err
		}
		a.api, a.remote = c, c
		return c, nil
	}
	e, err := a.local()
	if err != nil {
		return nil, err
	}
	return e, nil
}

// local opens the in-process engine on first use: for what only the local
// engine has (serving it over a socket, its runtime paths).
func (a *app) local() (*engine.Engine, error) {
	if a.eng != nil {
		return a.eng, nil
	}
	if a.inUI || a.host != "" {
		return nil, invalid("this command needs the local engine, not one behind --host")
	}
	// BERTH_FAULT arms a kill-anywhere fault point (package engine/fault).
	opts := engine.Options{Root: a.rootDir, Fault: os.Getenv("BERTH_FAULT")}
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		opts.MonitorPath = filepath.Join(dir, "berth-monitor")
		opts.InitPath = filepath.Join(dir, "berth-init")
	}
	e, err := engine.New(opts)
	if err != nil {
		return nil, err
	}
	a.eng = e
	return e, nil
}

func (a *app) close() {
	if a.eng != nil {
		a.eng.Close()
	}
	if a.remote != nil {
		a.remote.Close()
	}
}
