package build

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/patternmatcher"

	"berth/images"
)

// Builder builds images from Dockerfiles into one store.
type Builder struct {
	store  *images.Store
	runner Runner
	// open opens a context file to hash it (tests count what is read).
	open func(string) (io.ReadCloser, error)
}

// New makes a builder over store that runs RUN steps with runner.
func New(store *images.Store, runner Runner) *Builder {
	return &Builder{store: store, runner: runner, open: func(p string) (io.ReadCloser, error) { return os.Open(p) }}
}

// build is one Build call's state.
type build struct {
	*Builder
	opts     Options
	progress func(Event) // serialised: stages report concurrently
	name     string      // the Dockerfile's name in errors
	stages   []instructions.Stage
	meta     map[string]*string // ARGs before the first FROM
	escape   rune               // the Dockerfile's escape token
	ignore   *patternmatcher.PatternMatcher
	hashes   *hashCache // the context's file digests, kept between builds

	slots    chan struct{} // a stage builds while it holds one (GOMAXPROCS)
	mu       sync.Mutex    // guards what stages built concurrently share, below
	runs     map[int]*stageRun
	pulls    map[string]*pullOnce // --pull: each base pulled once per build
	usedArgs map[string]bool
	nextID   int
	total    int // the instructions of the stages up to the target, FROM lines counted
}

// Build builds opts.Dockerfile and returns the target stage's image, tagged
// with opts.Tags. Steps that succeeded stay in the cache when a later one
// fails; the failed step leaves nothing.
func (b *Builder) Build(ctx context.Context, opts Options, progress func(Event)) (*images.Image, error) {
	bd := &build{Builder: b, opts: opts, progress: serialised(progress), name: opts.DockerfileName,
		runs: map[int]*stageRun{}, pulls: map[string]*pullOnce{}, usedArgs: map[string]bool{}}
	if bd.name == "" {
		bd.name = "Dockerfile"
	}
	if opts.ContextDir != "" {
		abs, err := filepath.Abs(opts.ContextDir)
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("build context %s: %v", opts.ContextDir, err))
		}
		bd.opts.ContextDir = abs
		bd.hashes = loadHashes(b.store.Root(), abs, b.open)
		defer func() {
			if err := bd.hashes.save(); err != nil {
				bd.progress(Event{Kind: Warning, Output: err.Error()})
			}
		}()
	}
	for _, t := range opts.Tags {
		if _, err := images.ParseReference(t); err != nil {
			return nil, err
		}
	}
	if err := checkPlatform(opts.Platform); err != nil {
		return nil, err
	}
	if err := checkNetwork(opts.Network); err != nil {
		return nil, err
	}
	target, err := bd.parse()
	if err != nil {
		return nil, err
	}
	if err := bd.loadIgnore(); err != nil {
		return nil, err
	}
	img, err := bd.buildTarget(ctx, target)
	if err != nil {
		return nil, err
	}
	if img, err = bd.addLabels(ctx, img); err != nil {
		return nil, err
	}
	bd.warnUnusedArgs()
	for _, t := range opts.Tags {
		if err := b.store.Tag(ctx, img.ID, t); err != nil {
			return nil, err
		}
	}
	if err := bd.export(ctx, img); err != nil {
		return nil, err
	}
	return b.store.Resolve(img.ID)
}

var parseLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^dockerfile parse error on line (\d+): `) })

// parse reads the Dockerfile into stages and meta ARGs and finds the target.
func (bd *build) parse() (int, error) {
	res, err := parser.Parse(bytes.NewReader(bd.opts.Dockerfile))
	if err != nil {
		return 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s: %v", bd.name, err))
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		msg := err.Error()
		var le *parser.LocationError
		if m := parseLine().FindStringSubmatch(msg); m != nil {
			msg = m[1] + ": " + strings.TrimPrefix(msg, m[0])
		} else if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
			msg = fmt.Sprintf("%d: %s", le.Locations[0][0].Start.Line, msg)
		}
		return 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s:%s", bd.name, msg))
	}
	if len(stages) == 0 {
		return 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s: no build stage (FROM) in the Dockerfile", bd.name))
	}
	bd.stages, bd.escape = stages, res.EscapeToken
	bd.meta = map[string]*string{}
	for _, kv := range hostPlatformArgs() { // BuildKit's automatic platform ARGs
		k, v, _ := strings.Cut(kv, "=")
		bd.meta[k] = &v
	}
	for _, a := range metaArgs {
		if err := a.Expand(bd.expander(bd.metaEnv())); err != nil {
			return 0, bd.errAt(&a, err)
		}
		for _, kv := range a.Args {
			def := kv.Value
			if def == nil { // a bare ARG TARGETARCH keeps the automatic value
				def = bd.meta[kv.Key]
			}
			bd.meta[kv.Key] = bd.argValue(kv.Key, def)
		}
	}
	target := len(stages) - 1
	if bd.opts.Target != "" {
		i, ok := instructions.HasStage(stages, strings.ToLower(bd.opts.Target))
		if !ok {
			return 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("target stage %q could not be found", bd.opts.Target))
		}
		target = i
	}
	for _, st := range stages[:target+1] {
		bd.total += 1 + len(st.Commands)
	}
	return target, nil
}

// argValue is an ARG's value: the --build-arg given, else its default.
func (bd *build) argValue(key string, def *string) *string {
	if v, ok := bd.opts.BuildArgs[key]; ok {
		bd.mu.Lock()
		bd.usedArgs[key] = true
		bd.mu.Unlock()
		return &v
	}
	return def
}

// metaEnv is the environment FROM lines expand in: the meta ARGs with values.
func (bd *build) metaEnv() []string {
	var env []string
	for k, v := range bd.meta {
		if v != nil {
			env = append(env, k+"="+*v)
		}
	}
	return env
}

// expander expands words with env (KEY=VALUE) as Docker's shell lexer does.
func (bd *build) expander(env []string) instructions.SingleWordExpander {
	getter := shell.EnvsFromSlice(env)
	lex := shell.NewLex(bd.escape) // a Lex is not safe for concurrent use
	return func(word string) (string, error) {
		out, _, err := lex.ProcessWord(word, getter)
		return out, err
	}
}

// expandWords expands each of words with env into any number of words, as
// BuildKit expands EXPOSE's ports ("EXPOSE $PORTS" may give several), and
// sets *out to them.
func (bd *build) expandWords(words, env []string, out *[]string) error {
	getter := shell.EnvsFromSlice(env)
	lex := shell.NewLex(bd.escape)
	var all []string
	for _, w := range words {
		ws, err := lex.ProcessWords(w, getter)
		if err != nil {
			return err
		}
		all = append(all, ws...)
	}
	*out = all
	return nil
}

// errAt names the Dockerfile line of cmd in err, as one sentence.
func (bd *build) errAt(cmd instructions.Command, err error) error {
	line := 0
	if loc := cmd.Location(); len(loc) > 0 {
		line = loc[0].Start.Line
	}
	var ee *ExitError
	msg := fmt.Sprintf("%s:%d: %s: %v", bd.name, line, source(cmd), err)
	if errors.As(err, &ee) {
		return fmt.Errorf("%s:%d: %s: the command did not complete successfully: %w", bd.name, line, source(cmd), ee)
	}
	if errdefs.IsNotFound(err) {
		return errdefs.ErrNotFound.WithMessage(msg)
	}
	if errdefs.IsInvalidArgument(err) {
		return errdefs.ErrInvalidArgument.WithMessage(msg)
	}
	return errors.New(msg)
}

// warnUnusedArgs reports --build-arg values no ARG declared, as Docker does.
func (bd *build) warnUnusedArgs() {
	var unused []string
	bd.mu.Lock()
	defer bd.mu.Unlock()
	for k := range bd.opts.BuildArgs {
		if !bd.usedArgs[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		bd.progress(Event{Kind: Warning, Output: fmt.Sprintf("one or more build-args %v were not consumed", unused)})
	}
}

// stageIndex finds a stage by name or number among those before i.
func (bd *build) stageIndex(ref string, i int) (int, bool) {
	if n, err := strconv.Atoi(ref); err == nil && n >= 0 && n < i {
		return n, true
	}
	j, ok := instructions.HasStage(bd.stages[:i], strings.ToLower(ref))
	return j, ok
}

// copyConfig deep-copies an image config.
func copyConfig(c v1.Config) v1.Config {
	b, _ := json.Marshal(c)
	var out v1.Config
	_ = json.Unmarshal(b, &out)
	return out
}

// addLabels gives the result the --label values, as one more LABEL step.
func (bd *build) addLabels(ctx context.Context, img *images.Image) (*images.Image, error) {
	if len(bd.opts.Labels) == 0 {
		return img, nil
	}
	keys := make([]string, 0, len(bd.opts.Labels))
	for k := range bd.opts.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var kv instructions.KeyValuePairs
	for _, k := range keys {
		kv = append(kv, instructions.KeyValuePair{Key: k, Value: bd.opts.Labels[k]})
	}
	p, err := planMeta(&instructions.LabelCommand{Labels: kv})
	if err != nil {
		return nil, err
	}
	s := &stageState{img: img, cfg: copyConfig(img.Config.Config), ext: img.Ext}
	key := cacheKey(img, p)
	if !bd.opts.NoCache {
		if cached, ok, err := bd.store.CacheLookup(ctx, key); err != nil || ok {
			return cached, err
		}
	}
	cfg := copyConfig(s.cfg)
	p.config(&cfg)
	out, err := bd.commit(ctx, s, p, cfg, s.ext)
	if err != nil {
		return nil, err
	}
	return out, bd.store.CacheStore(ctx, key, out.ID)
}

// source is a command's text as written ("RUN exit 3").
func source(cmd instructions.Command) string {
	if s, ok := cmd.(fmt.Stringer); ok {
		return s.String()
	}
	return strings.ToUpper(cmd.Name())
}
