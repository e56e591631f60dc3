package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"berth/images"
)

// runtimeFiles are the mount points a RUN container's runtime makes in its
// upper dir; they stay out of layers, as Docker's init layer keeps them out.
func runtimeFiles() []string { return []string{"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"} }

// plan is what one step does: its history line and cache key part, its
// config change, and the work that makes its layer (none for metadata).
type plan struct {
	createdBy string
	noHistory bool // the step leaves no history entry (ONBUILD, as BuildKit)
	extra     string
	author    string // MAINTAINER
	config    func(*v1.Config)
	// ext changes what the config holds beyond v1.Config (HEALTHCHECK's
	// start interval).
	ext func(*images.ConfigExt)
	// mount works in the step's filesystem; it reports whether it changed it.
	mount func(ctx context.Context, root string) (bool, error)
	// link: the step's layer is made on an empty filesystem (COPY --link).
	link       bool
	linkReused bool // the --link layer came from the cache
	run        *RunSpec
	// cleanup, when set, removes what planning fetched (ADD of a URL).
	cleanup func()
	// mounts are a RUN's --mount filesystems.
	mounts []*mountPlan
}

// buildStage builds stage i, asking for the stages it needs.
func (bd *build) buildStage(ctx context.Context, i int) (*images.Image, error) {
	st := bd.stages[i]
	s := &stageState{index: i, name: st.Name, args: map[string]*string{}}
	if s.name == "" {
		s.name = fmt.Sprintf("stage-%d", i)
	}
	cmds, err := bd.from(ctx, i, s)
	if err != nil {
		return nil, err
	}
	bd.progress(Event{Kind: StageStarted, Stage: s.name, Instruction: st.SourceCode, Image: imageID(s.img), Total: bd.total})
	cmds = append(cmds, st.Commands...)
	for n, cmd := range cmds {
		if err := bd.step(ctx, s, cmd, n+1, len(cmds)); err != nil {
			return nil, err
		}
	}
	if s.img == nil { // FROM scratch and nothing else
		img, err := bd.store.Commit(ctx, images.CommitOptions{Config: s.cfg, Ext: s.ext})
		if err != nil {
			return nil, err
		}
		s.img = img
	}
	if err := bd.addArgRows(ctx, s); err != nil {
		return nil, err
	}
	return s.img, nil
}

// imageID is img's ID, "" for none.
func imageID(img *images.Image) string {
	if img == nil {
		return ""
	}
	return img.ID
}

// from sets the stage's base (scratch, an earlier stage or a stored image)
// and returns the base's ONBUILD triggers as commands to run first.
func (bd *build) from(ctx context.Context, i int, s *stageState) ([]instructions.Command, error) {
	st := bd.stages[i]
	fromCmd := &fromCommand{st: &st}
	base, err := bd.expander(bd.metaEnv())(st.BaseName)
	if err != nil {
		return nil, bd.errAt(fromCmd, err)
	}
	if st.Platform != "" {
		plat, err := bd.expander(append(hostPlatformArgs(), bd.metaEnv()...))(st.Platform)
		if err == nil {
			err = checkPlatform(plat)
		}
		if err != nil {
			return nil, bd.errAt(fromCmd, err)
		}
	}
	switch j, isStage := bd.stageIndex(base, i); {
	case base == "scratch":
		return nil, nil
	case isStage:
		if s.img, err = bd.stage(ctx, j); err != nil {
			return nil, err
		}
	default:
		if s.img, err = bd.baseImage(ctx, base); err != nil {
			return nil, bd.errAt(fromCmd, err)
		}
	}
	s.cfg, s.ext, s.author = copyConfig(s.img.Config.Config), s.img.Ext, s.img.Config.Author
	var triggers []instructions.Command
	for _, expr := range s.cfg.OnBuild {
		cmd, err := parseTrigger(expr)
		if err != nil {
			return nil, bd.errAt(fromCmd, fmt.Errorf("ONBUILD trigger %q of %s: %w", expr, base, err))
		}
		triggers = append(triggers, cmd)
	}
	s.cfg.OnBuild = nil
	return triggers, nil
}

// parseTrigger parses one ONBUILD expression into its command.
func parseTrigger(expr string) (instructions.Command, error) {
	res, err := parser.Parse(strings.NewReader(expr))
	if err != nil {
		return nil, err
	}
	if len(res.AST.Children) != 1 {
		return nil, fmt.Errorf("not one instruction")
	}
	return instructions.ParseCommand(res.AST.Children[0])
}

// fromCommand lets a stage's FROM line be named in errors like any command.
type fromCommand struct{ st *instructions.Stage }

// Name is "from".
func (f *fromCommand) Name() string { return "from" }

// Location is the FROM line.
func (f *fromCommand) Location() []parser.Range { return f.st.Location }

// Comments are the FROM line's comments.
func (f *fromCommand) Comments() []string { return f.st.Comments }

// String is the FROM line's text.
func (f *fromCommand) String() string { return f.st.SourceCode }

// step runs one instruction of stage s: from the cache when its key is
// known, else by doing its work and committing an image.
func (bd *build) step(ctx context.Context, s *stageState, cmd instructions.Command, n, total int) error {
	bd.mu.Lock()
	bd.nextID++
	ev := Event{ID: bd.nextID, Stage: s.name, Step: n, Total: total, Instruction: source(cmd)}
	bd.mu.Unlock()
	if loc := cmd.Location(); len(loc) > 0 {
		ev.Line = loc[0].Start.Line
	}
	start := time.Now()
	ev.Kind = StepStarted
	bd.progress(ev)
	cached, err := bd.doStep(ctx, s, cmd, ev)
	if err != nil {
		err = bd.errAt(cmd, err)
		ev.Kind, ev.Err = StepError, err
		bd.progress(ev)
		return err
	}
	if !cached {
		ev.Kind, ev.Duration, ev.Image = StepDone, time.Since(start), imageID(s.img)
		bd.progress(ev)
	}
	return nil
}

// doStep expands cmd, plans it and commits it, or takes it from the cache
// (and says so).
func (bd *build) doStep(ctx context.Context, s *stageState, cmd instructions.Command, ev Event) (bool, error) {
	if ex, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
		if err := ex.Expand(bd.expander(s.env())); err != nil {
			return false, err
		}
	}
	if c, ok := cmd.(*instructions.ExposeCommand); ok {
		if err := bd.expandWords(c.Ports, s.env(), &c.Ports); err != nil {
			return false, err
		}
	}
	if ex, ok := cmd.(instructions.SupportsSingleWordExpansionRaw); ok {
		if err := ex.ExpandRaw(rawExpander(s.env())); err != nil {
			return false, err
		}
	}
	p, err := bd.plan(ctx, s, cmd)
	if err != nil || p == nil { // p nil: the step changed the stage's state only (ARG)
		return false, err
	}
	if p.cleanup != nil {
		defer p.cleanup()
	}
	key := cacheKey(s.img, p)
	if !bd.opts.NoCache {
		if img, ok, err := bd.store.CacheLookup(ctx, key); err != nil {
			return false, err
		} else if ok {
			s.img, s.cfg, s.ext, s.author = img, copyConfig(img.Config.Config), img.Ext, img.Config.Author
			ev.Kind, ev.Image = StepCached, img.ID
			bd.progress(ev)
			return true, nil
		}
	}
	cfg, ext := copyConfig(s.cfg), s.ext
	if p.config != nil {
		p.config(&cfg)
	}
	if p.ext != nil {
		p.ext(&ext)
	}
	if p.author != "" {
		s.author = p.author
	}
	if p.run != nil {
		lw := &lineWriter{emit: func(line string) {
			out := ev
			out.Kind, out.Output = StepOutput, line
			bd.progress(out)
		}}
		defer lw.Flush()
		p.run.Output = lw
		p.run.Started = func(id string) {
			out := ev
			out.Kind, out.Container = StepContainer, id
			bd.progress(out)
		}
	}
	img, err := bd.commit(ctx, s, p, cfg, ext)
	if err != nil {
		return false, err
	}
	s.img, s.cfg, s.ext = img, cfg, ext
	if p.linkReused { // only put on the new parent: nothing was copied
		ev.Kind = StepCached
		bd.progress(ev)
	}
	return p.linkReused, bd.store.CacheStore(ctx, key, img.ID)
}

// cacheKey identifies a step: its parent image, its history line (the
// instruction after substitution, with the build args a RUN sees) and what
// else it read (the content of COPY and ADD sources).
func cacheKey(parent *images.Image, p *plan) string {
	h := sha256.New()
	if parent != nil {
		io.WriteString(h, parent.ID)
	} else {
		io.WriteString(h, "scratch")
	}
	fmt.Fprintf(h, "\x00%s\x00%s", p.createdBy, p.extra)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// commit makes the step's image: a RUN through the runner, a filesystem
// change through a mount, a metadata change alone.
func (bd *build) commit(ctx context.Context, s *stageState, p *plan, cfg v1.Config, ext images.ConfigExt) (*images.Image, error) {
	opts := images.CommitOptions{Parent: s.img, Config: cfg, Ext: ext, CreatedBy: p.createdBy, Author: s.author, NoHistory: p.noHistory}
	var img *images.Image
	var excludes func(upper string) []string
	commitUpper := func(upper string) error {
		ex := runtimeFiles()
		if excludes != nil {
			ex = excludes(upper)
		}
		// The step's container is gone: its upper dir becomes the layer's
		// snapshot, and the blob is written when something needs it.
		opts.UpperDir, opts.Exclude = upper, ex
		if excludes != nil && emptyUpper(upper, ex) {
			opts.UpperDir, opts.Exclude = "", nil // a RUN that changed nothing
		}
		var err error
		img, err = bd.store.Commit(ctx, opts)
		return err
	}
	switch {
	case p.run != nil:
		if s.img == nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage("RUN needs a filesystem to run in (FROM scratch has none yet)")
		}
		p.run.Image = s.img
		err := bd.withMounts(ctx, p.mounts, nil, func(rms []RunMount) error {
			p.run.Mounts = rms
			excludes = func(upper string) []string { return mountExcludes(upper, rms) }
			return bd.runner.Run(ctx, *p.run, commitUpper)
		})
		return img, err
	case p.link:
		return bd.commitLink(ctx, s, p, opts)
	case p.mount != nil:
		err := bd.runner.Mount(ctx, s.img, func(root, upper string) error {
			changed, err := p.mount(ctx, root)
			if err != nil || !changed {
				return err
			}
			return commitUpper(upper)
		})
		if err != nil || img != nil {
			return img, err
		}
	}
	return bd.store.Commit(ctx, opts)
}

// env is the stage's environment for substitution and RUN: its ARGs with
// values, then its ENV (which wins, as in Docker).
func (s *stageState) env() []string {
	var out []string
	for _, k := range s.order {
		if v := s.args[k]; v != nil {
			out = append(out, k+"="+*v)
		}
	}
	return append(out, s.cfg.Env...)
}

// argsInUse is the "|N K=V ..." prefix BuildKit puts before a RUN's command
// in the history: every ARG the stage declared so far, in order (one
// declared twice is listed twice, as dockerd 20.10's BuildKit does), with
// the value the RUN sees (an ENV of the same name wins; none is empty).
func (s *stageState) argsInUse() string {
	if len(s.declared) == 0 {
		return ""
	}
	env := s.env()
	kv := make([]string, len(s.declared))
	for i, k := range s.declared {
		kv[i] = k + "=" + lookupEnv(env, k)
	}
	return fmt.Sprintf("|%d %s ", len(kv), strings.Join(kv, " "))
}

// lookupEnv is the value of k in env, the last setting winning; "" when unset.
func lookupEnv(env []string, k string) string {
	v := ""
	for _, e := range env {
		if val, ok := strings.CutPrefix(e, k+"="); ok {
			v = val
		}
	}
	return v
}

func hasEnvKey(env []string, k string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, k+"=") {
			return true
		}
	}
	return false
}

// lineWriter sends each complete line written to it to emit.
type lineWriter struct {
	mu   sync.Mutex
	emit func(string)
	buf  []byte
}

// Write splits p into lines.
func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.emit(strings.TrimSuffix(string(w.buf[:i]), "\r"))
		w.buf = w.buf[i+1:]
	}
}

// Flush sends a last line that had no newline.
func (w *lineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(string(w.buf))
		w.buf = nil
	}
}
