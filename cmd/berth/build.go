package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/containerd/errdefs"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"berth/engine/api"
	"berth/images"
	"berth/images/build"
)

// buildFlags are `docker build`'s flags that berth has.
type buildFlags struct {
	tags, buildArgs, labels []string
	secrets, outputs        []string
	file, target, iidfile   string
	progress, platform      string
	network                 string
	// contextTar is a build context read from stdin (PATH "-" given a tar).
	contextTar            []byte
	noCache, quiet, check bool
	pull                  bool
}

func (a *app) buildCommand() *cobra.Command {
	var f buildFlags
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] PATH|-",
		Short: "Build an image from a Dockerfile",
		Args:  requiresOneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options(args[0], a.stdin)
			if err != nil {
				return err
			}
			toStdout, err := a.buildOutputs(&o, f.outputs)
			if err != nil {
				return err
			}
			if f.check && f.contextTar != nil {
				return invalid("--check needs a Dockerfile, not a build context on stdin")
			}
			if f.check { // --check: the Dockerfile's findings, no build
				return a.runCheck(o)
			}
			e, err := a.engine()
			if err != nil {
				return buildFailed(err)
			}
			progress := f.progressTo(a.stderr)
			// Ctrl-C or a TERM cancels the build, which then removes its step's container.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			img, err := f.build(ctx, e, o, progress)
			if err != nil {
				return buildFailed(err)
			}
			if f.iidfile != "" {
				if err := os.WriteFile(f.iidfile, []byte(img.ID), 0o644); err != nil {
					return buildFailed(fmt.Errorf("write --iidfile: %w", err))
				}
			}
			if f.quiet {
				if !toStdout { // a tar on stdout is the output, alone
					fmt.Fprintln(a.stdout, img.ID)
				}
				return nil
			}
			fmt.Fprintf(a.stderr, "writing image %s\n", img.ID)
			for _, t := range img.RepoTags {
				fmt.Fprintf(a.stderr, "naming to %s\n", t)
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	return cmd
}

// progressTo is where the build's events go: nowhere with -q, else the tty
// view or plain lines on w.
func (f *buildFlags) progressTo(w io.Writer) func(build.Event) {
	switch {
	case f.quiet:
		return nil
	case f.progress == "tty" || f.progress == "auto" && isTerminal(w):
		return ttyProgress(w)
	}
	return plainProgress(w)
}

// build builds o, from the context on stdin when there is one.
func (f *buildFlags) build(ctx context.Context, e api.Engine, o build.Options, progress func(build.Event)) (*images.Image, error) {
	if f.contextTar != nil {
		return e.BuildFromTar(ctx, bytes.NewReader(f.contextTar), f.file, o, progress)
	}
	return e.Build(ctx, o, progress)
}

// register adds the build flags to fl.
func (f *buildFlags) register(fl *pflag.FlagSet) {
	stringArrayVarP(fl, &f.tags, "tag", "t", `name and optionally a tag in the "name:tag" format`)
	fl.StringVarP(&f.file, "file", "f", "", `name of the Dockerfile (default: "PATH/Dockerfile"; "-" reads it from stdin)`)
	stringArrayVarP(fl, &f.buildArgs, "build-arg", "", "set build-time variables")
	stringArrayVarP(fl, &f.labels, "label", "", "set metadata for an image")
	fl.StringVar(&f.target, "target", "", "set the target build stage to build")
	fl.BoolVar(&f.noCache, "no-cache", false, "do not use cache when building the image")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "suppress the build output and print image ID on success")
	stringArrayVarP(fl, &f.secrets, "secret", "", `secret to expose to the build (format: "id=mysecret[,src=/local/secret]" or "id=mysecret,env=VAR")`)
	fl.StringVar(&f.iidfile, "iidfile", "", "write the image ID to the file")
	fl.BoolVar(&f.check, "check", false, "check the Dockerfile and context for common pitfalls without building (exit 1 on warnings)")
	fl.StringVar(&f.progress, "progress", "auto", "set type of progress output (auto, plain, tty)")
	fl.BoolVar(&f.pull, "pull", false, "always attempt to pull a newer version of the FROM images")
	fl.StringVar(&f.network, "network", "default", "set the networking mode for the RUN instructions (default, none, host)")
	fl.StringVar(&f.platform, "platform", "", "set the target platform for the build (this machine's only)")
	stringArrayVarP(fl, &f.outputs, "output", "o", `output destination (format: "type=local,dest=path" or "type=tar,dest=file"; "-" is a tar on stdout)`)
}

// options reads the Dockerfile and turns the flags into build options.
func (f *buildFlags) options(ctxArg string, stdin io.Reader) (build.Options, error) {
	o := build.Options{Tags: f.tags, Target: f.target, NoCache: f.noCache, BuildArgs: map[string]string{}, Labels: map[string]string{},
		Pull: f.pull, Platform: f.platform, Network: f.network}
	switch f.progress {
	case "auto", "plain", "tty":
	default:
		return o, invalid("invalid --progress %q: use auto, plain or tty", f.progress)
	}
	for _, kv := range f.buildArgs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok { // --build-arg K takes K from the environment, as docker does
			if v, ok = os.LookupEnv(k); !ok {
				continue
			}
		}
		o.BuildArgs[k] = v
	}
	for _, kv := range f.labels {
		k, v, _ := strings.Cut(kv, "=")
		o.Labels[k] = v
	}
	var err error
	if o.Secrets, err = parseSecrets(f.secrets); err != nil {
		return o, err
	}
	// A context or Dockerfile that cannot be read fails the build (exit 1,
	// as docker build's "unable to prepare context").
	return o, buildFailed(f.readDockerfile(&o, ctxArg, stdin))
}

// readDockerfile sets o's context and Dockerfile from PATH (or "-": the
// Dockerfile from stdin, no context) and -f (or "-": from stdin).
func (f *buildFlags) readDockerfile(o *build.Options, ctxArg string, stdin io.Reader) error {
	fromStdin := func() error {
		o.DockerfileName = "Dockerfile"
		var err error
		if o.Dockerfile, err = io.ReadAll(stdin); err != nil {
			return fmt.Errorf("read Dockerfile from stdin: %w", err)
		}
		return nil
	}
	if ctxArg == "-" {
		if f.file == "-" {
			return invalid("can't use stdin for both the build context and the Dockerfile")
		}
		if err := fromStdin(); err != nil {
			return err
		}
		if build.IsArchive(o.Dockerfile) { // a context, as docker build - < ctx.tar
			f.contextTar, o.Dockerfile, o.DockerfileName = o.Dockerfile, nil, ""
			return nil
		}
		if f.file != "" {
			return invalid("-f cannot be used with a Dockerfile from stdin")
		}
		return nil
	}
	fi, err := os.Stat(ctxArg)
	if err != nil || !fi.IsDir() {
		return invalid("unable to prepare context: path %q not found or not a directory", ctxArg)
	}
	o.ContextDir = ctxArg
	file := f.file
	if file == "-" { // -f -: the Dockerfile from stdin, the context from PATH
		return fromStdin()
	}
	if file == "" {
		file = filepath.Join(ctxArg, "Dockerfile")
	}
	o.DockerfileName = filepath.Base(file)
	if o.Dockerfile, err = os.ReadFile(file); err != nil {
		return invalid("unable to read the Dockerfile %s: %v", file, err)
	}
	// BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile first.
	if _, err := os.Stat(file + ".dockerignore"); err == nil {
		o.IgnoreFile = file + ".dockerignore"
	}
	return nil
}

// buildOutputs parses the -o values into o; a tar to "-" goes to stdout
// (never to a terminal). It reports whether stdout receives one.
func (a *app) buildOutputs(o *build.Options, specs []string) (bool, error) {
	toStdout := false
	for _, spec := range specs {
		out, err := build.ParseOutput(spec)
		if err != nil {
			return false, err
		}
		if out.Type == "tar" && out.Dest == "-" {
			if toStdout {
				return false, invalid("only one -o can write to stdout")
			}
			if isTerminal(a.stdout) {
				return false, invalid("refusing to write a tar to the terminal: give -o type=tar,dest=FILE or redirect stdout")
			}
			out.Writer, toStdout = a.stdout, true
		}
		o.Outputs = append(o.Outputs, out)
	}
	return toStdout, nil
}

// plainProgress prints build events as BuildKit's plain progress does.
func plainProgress(w io.Writer) func(build.Event) {
	var mu sync.Mutex
	return func(ev build.Event) {
		mu.Lock()
		defer mu.Unlock()
		switch ev.Kind {
		case build.StepStarted:
			fmt.Fprintf(w, "#%d [%s %d/%d] %s\n", ev.ID, ev.Stage, ev.Step, ev.Total, ev.Instruction)
		case build.StepOutput:
			fmt.Fprintf(w, "#%d %s\n", ev.ID, ev.Output)
		case build.StepCached:
			fmt.Fprintf(w, "#%d CACHED\n", ev.ID)
		case build.StepDone:
			fmt.Fprintf(w, "#%d DONE %.1fs\n", ev.ID, ev.Duration.Seconds())
		case build.StepError:
			fmt.Fprintf(w, "#%d ERROR\n", ev.ID)
		case build.Warning:
			fmt.Fprintf(w, "WARNING: %s\n", ev.Output)
		}
	}
}

// ttyProgress draws one line per step, rewritten in place while the step
// runs (its last output line beside it), with its time or CACHED at the end;
// a failed step's last output lines stay on screen.
func ttyProgress(w io.Writer) func(build.Event) {
	var mu sync.Mutex
	var tail []string
	return func(ev build.Event) {
		mu.Lock()
		defer mu.Unlock()
		head := fmt.Sprintf("=> [%s %d/%d] %s", ev.Stage, ev.Step, ev.Total, ev.Instruction)
		switch ev.Kind {
		case build.StepStarted:
			tail = nil
			fmt.Fprintf(w, "\r\x1b[K%s", clip(head, 100))
		case build.StepOutput:
			if tail = append(tail, ev.Output); len(tail) > 10 {
				tail = tail[1:]
			}
			fmt.Fprintf(w, "\r\x1b[K%s | %s", clip(head, 60), clip(ev.Output, 60))
		case build.StepCached:
			fmt.Fprintf(w, "\r\x1b[K%s CACHED\n", clip(head, 100))
		case build.StepDone:
			fmt.Fprintf(w, "\r\x1b[K%s %.1fs\n", clip(head, 100), ev.Duration.Seconds())
		case build.StepError:
			fmt.Fprintf(w, "\r\x1b[K%s ERROR\n", clip(head, 100))
			for _, l := range tail {
				fmt.Fprintf(w, "   | %s\n", l)
			}
		case build.Warning:
			fmt.Fprintf(w, "\r\x1b[KWARNING: %s\n", ev.Output)
		}
	}
}

// clip shortens s to n runes, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// requiresOneArg refuses a command line without exactly one argument in the
// docker CLI's words, with its exit code 1 (`docker build` without PATH:
// "'docker build' requires 1 argument", then its usage).
func requiresOneArg(cmd *cobra.Command, args []string) error {
	if len(args) == 1 {
		return nil
	}
	msg := fmt.Sprintf("'%s' requires 1 argument\n\nUsage:  %s\n\nRun '%s --help' for more information",
		cmd.CommandPath(), strings.TrimSuffix(cmd.UseLine(), " [flags]"), cmd.CommandPath())
	return codedError{err: errdefs.ErrInvalidArgument.WithMessage(msg), code: 1}
}
