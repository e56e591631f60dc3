package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine/health"
	"berth/engine/logfile"
	"berth/engine/monitor"
	"berth/engine/spec"
	"berth/engine/store"
	"berth/images"
)

// CreateOptions is what docker create / docker run take.
type CreateOptions struct {
	Name       string
	Config     Config
	HostConfig HostConfig
	// EntrypointSet says --entrypoint was given (an empty Entrypoint then clears the image's).
	EntrypointSet bool
	// Network is what is asked of the primary network: --ip, --mac-address, --network-alias.
	Network EndpointSettings
	// ExtraNetworks are the networks (name or ID) the container joins
	// besides its primary one, with what is asked of each (the Docker
	// Engine API's NetworkingConfig); they are in the container's record
	// from the start, as if connected before it ever ran.
	ExtraNetworks map[string]EndpointSettings
}

var validName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`) })

// ValidateName checks a container name as Docker does.
func ValidateName(name string) error {
	if !validName().MatchString(name) {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid container name %q, only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name))
	}
	return nil
}

// Create makes a container from an image without starting it. Nothing is left
// behind when it fails.
func (e *Engine) Create(ctx context.Context, o CreateOptions) (*Container, error) {
	if err := e.validate(&o); err != nil {
		return nil, err
	}
	if err := e.validateNetwork(ctx, &o); err != nil {
		return nil, missingIsBad(err)
	}
	if err := e.validateLinks(ctx, &o); err != nil {
		return nil, missingIsBad(err)
	}
	if err := e.validateNSModes(ctx, &o); err != nil {
		return nil, missingIsBad(err)
	}
	if _, _, err := givenDevices(&o.HostConfig); err != nil {
		return nil, err
	}
	extra, err := e.resolveExtraNetworks(ctx, &o)
	if err != nil {
		return nil, missingIsBad(err)
	}
	if err := e.checkMounts(ctx, &o); err != nil {
		return nil, missingIsBad(err)
	}
	if err := e.CheckSpace(); err != nil {
		return nil, err
	}
	// A container is created to be started, nearly always: its monitor's
	// start-up (a spare's) overlaps what is left of the creation.
	e.warmSpare(false)
	id := newID()
	// Held until the record exists, so that a check never takes the
	// directory of a container being created for one a killed create left.
	unlock, err := e.lock(id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// The image is resolved and referenced in one transaction, so an rmi in
	// another process either removed it first or keeps it (and its layers).
	img, err := e.images.Acquire(ctx, o.Config.Image, id)
	if errdefs.IsNotFound(err) {
		os.Remove(e.lockPath(id))
		return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("unable to find image %q locally", o.Config.Image))
	} else if err != nil {
		os.Remove(e.lockPath(id))
		return nil, err // an ambiguous ID prefix or a bad reference, which says so
	}
	e.at("create.image-held")
	if err := e.createFrom(ctx, id, img, &o); err != nil {
		_ = e.images.Release(context.WithoutCancel(ctx), id)
		os.Remove(e.lockPath(id))
		return nil, err
	}
	c, err := e.Inspect(ctx, id)
	if err != nil {
		return nil, err
	}
	e.emit("create", c, nil)
	for _, n := range extra {
		e.emitNetwork("connect", n, c.ID)
	}
	return c, nil
}

// createFrom makes the container's directory, mounts and record from the
// image it holds a reference to.
func (e *Engine) createFrom(ctx context.Context, id string, img *images.Image, o *CreateOptions) error {
	rec := record{Config: mergeImageConfig(*o, img), HostConfig: o.HostConfig, ImageRef: o.Config.Image}
	if mode := o.HostConfig.NetworkMode; mode != modeHost && mode != modeNone && !strings.HasPrefix(mode, "container:") {
		want := o.Network
		rec.Networks = map[string]*EndpointSettings{mode: &want}
		for name, ep := range o.ExtraNetworks {
			rec.Networks[name] = &ep
		}
		for name, s := range rec.Networks {
			setAsked(&rec, name, s)
			s.IPAMConfig = ipamConfig(s.IPAddress)
		}
	}
	args := append(append([]string(nil), rec.Config.Entrypoint...), rec.Config.Cmd...)
	if len(args) == 0 {
		return errdefs.ErrInvalidArgument.WithMessage("no command specified")
	}
	rec.Path, rec.Args = args[0], args[1:]
	var err error
	switch {
	case o.HostConfig.UTSMode == spec.NSHost, rec.Config.Hostname == "" && o.HostConfig.NetworkMode == modeHost:
		// The host's name, as Docker gives a container on the host's network.
		if rec.Config.Hostname, err = hostHostname(); err != nil {
			return err
		}
	case rec.Config.Hostname == "":
		if rec.Config.Hostname, rec.Config.Domainname, err = e.defaultHostname(ctx, id, o.HostConfig.NetworkMode, rec.Config.Domainname); err != nil {
			return err
		}
	}
	if rec.Lowers, err = e.images.Prepare(ctx, img); err != nil {
		return fmt.Errorf("prepare image %s: %w", o.Config.Image, err)
	}
	e.at("create.rootfs-prepared")
	dir := e.containerDir(id)
	if err := e.makeContainerDir(dir, rec.Config.Hostname); err != nil {
		os.RemoveAll(dir)
		return err
	}
	e.at("create.dir-made")
	mounts, err := e.makeMounts(ctx, o, rec.Config.Volumes, id)
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	rec.Mounts = storeMounts(mounts)
	e.at("create.mounts-made")
	if err := e.insert(ctx, id, img.ID, o.Name, &rec); err != nil {
		e.releaseVolumes(context.WithoutCancel(ctx), id, anonymous(mounts))
		os.RemoveAll(dir)
		return err
	}
	e.at("create.stored")
	return nil
}

func (e *Engine) validate(o *CreateOptions) error {
	if o.Config.Image == "" {
		return errdefs.ErrInvalidArgument.WithMessage("no image given")
	}
	if o.Name != "" {
		if err := ValidateName(strings.TrimPrefix(o.Name, "/")); err != nil {
			return err
		}
		o.Name = strings.TrimPrefix(o.Name, "/")
	}
	h := &o.HostConfig
	if err := validateRestart(h.RestartPolicy); err != nil {
		return err
	}
	if cs := h.ConsoleSize; cs[0] > 65535 || cs[1] > 65535 {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("console size %dx%d is too large: a terminal has at most 65535 rows and columns", cs[0], cs[1]))
	}
	if h.AutoRemove && h.RestartPolicy.Name != "" && h.RestartPolicy.Name != "no" {
		return errdefs.ErrInvalidArgument.WithMessage("conflicting options: --restart and --rm")
	}
	if err := spec.ValidateResources(h.Resources, e.host.spec("")); err != nil {
		return err
	}
	if _, err := spec.Capabilities(h.Privileged, h.CapAdd, h.CapDrop, e.host.bounding); err != nil {
		return err
	}
	if err := o.Config.Healthcheck.Validate(); err != nil {
		return err
	}
	if err := checkConfig(&o.Config, h.NetworkMode); err != nil {
		return err
	}
	if err := validateExtraHosts(h.ExtraHosts); err != nil {
		return err
	}
	if err := validateSandbox(h); err != nil {
		return err
	}
	if s := o.Config.StopSignal; s != "" {
		if _, err := ParseSignal(s); err != nil {
			return err
		}
	}
	if h.LogConfig.Type == "" {
		h.LogConfig.Type = "json-file"
	}
	if h.LogConfig.Type != "json-file" {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unsupported log driver %q (berth has json-file)", h.LogConfig.Type))
	}
	if _, err := logfile.ParseOpts(h.LogConfig.Config); err != nil {
		return err
	}
	_, err := spec.Build(spec.Options{Rootfs: "/", Args: []string{"true"}, Resources: h.Resources,
		Privileged: h.Privileged, CapAdd: h.CapAdd, CapDrop: h.CapDrop, SecurityOpt: h.SecurityOpt}, e.host.spec(""))
	return err
}

// checkEnv refuses a variable the kernel would not pass to the container's
// process: execve takes at most MAX_ARG_STRLEN (32 pages) for one
// "KEY=value" string, its terminating NUL included.
func checkEnv(env []string) error {
	maxLen := 32*os.Getpagesize() - 1
	for _, kv := range env {
		if len(kv) > maxLen {
			k, _, _ := strings.Cut(kv, "=")
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
				"environment variable %s is %d bytes long; Linux passes at most %d bytes for one variable", k, len(kv), maxLen))
		}
	}
	return nil
}

func validateRestart(p monitor.RestartPolicy) error {
	switch p.Name {
	case "", "no", "always", "unless-stopped":
		if p.MaximumRetryCount != 0 {
			return errdefs.ErrInvalidArgument.WithMessage("invalid restart policy: maximum retry count can only be used with 'on-failure'")
		}
	case "on-failure":
		if p.MaximumRetryCount < 0 {
			return errdefs.ErrInvalidArgument.WithMessage("invalid restart policy: maximum retry count must not be negative")
		}
	default:
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid restart policy %q: want no, always, unless-stopped or on-failure[:max-retries]", p.Name))
	}
	return nil
}

// mergeImageConfig lays the user's options over the image's config as docker does.
func mergeImageConfig(o CreateOptions, img *images.Image) Config {
	c := o.Config
	ic := img.Config.Config
	c.Env = userEnvFirst(c.Env, ic.Env)
	if !o.EntrypointSet {
		c.Entrypoint = ic.Entrypoint
		if len(c.Cmd) == 0 {
			c.Cmd = ic.Cmd
		}
	} else if len(c.Entrypoint) == 1 && c.Entrypoint[0] == "" {
		c.Entrypoint = nil
	}
	if c.WorkingDir == "" {
		c.WorkingDir = ic.WorkingDir
	}
	if c.User == "" {
		c.User = ic.User
	}
	if c.StopSignal == "" {
		c.StopSignal = ic.StopSignal
	}
	if len(c.Shell) == 0 {
		c.Shell = ic.Shell
	}
	c.Healthcheck = health.Merge(c.Healthcheck, imageHealth(img))
	labels := map[string]string{}
	for k, v := range ic.Labels {
		labels[k] = v
	}
	for k, v := range c.Labels {
		labels[k] = v
	}
	c.Labels = labels
	if c.ExposedPorts == nil && len(ic.ExposedPorts) > 0 {
		c.ExposedPorts = map[string]struct{}{}
		for p := range ic.ExposedPorts {
			c.ExposedPorts[p] = struct{}{}
		}
	}
	if c.Volumes == nil && len(ic.Volumes) > 0 {
		c.Volumes = map[string]struct{}{}
		for v := range ic.Volumes {
			c.Volumes[v] = struct{}{}
		}
	}
	return c
}

// mergeEnv returns base with every KEY=value of over replacing or adding;
// keys are looked up in a map, so 100,000 variables merge in linear time.
func mergeEnv(base, over []string) []string {
	out := append([]string(nil), base...)
	at := make(map[string][]int, len(out)+len(over))
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		at[k] = append(at[k], i)
	}
	for _, kv := range over {
		k, _, _ := strings.Cut(kv, "=")
		if idx, ok := at[k]; ok {
			for _, i := range idx {
				out[i] = kv
			}
			continue
		}
		at[k] = []int{len(out)}
		out = append(out, kv)
	}
	return out
}

// dropUnset drops the variables named without a value ("-e NAME" for a
// NAME the client's environment lacks): as with dockerd, they unset the
// image's variable of that name and are not passed on (the kernel's
// environment has no entry without "=", and runc refuses one).
func dropUnset(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if strings.Contains(kv, "=") {
			out = append(out, kv)
		}
	}
	return out
}

// userEnvFirst is a container's environment as dockerd makes it: the
// user's variables in their order, then the image's whose names the user
// did not set (docker inspect's Config.Env and env's output show that order).
func userEnvFirst(user, image []string) []string {
	if len(user) == 0 {
		return append([]string(nil), image...)
	}
	set := make(map[string]bool, len(user))
	for _, kv := range user {
		k, _, _ := strings.Cut(kv, "=")
		set[k] = true
	}
	out := append([]string(nil), user...)
	for _, kv := range image {
		if k, _, _ := strings.Cut(kv, "="); !set[k] {
			out = append(out, kv)
		}
	}
	return out
}

// anonymous names the anonymous volumes among mounts.
func anonymous(mps []MountPoint) []string {
	var out []string
	for _, mp := range mps {
		if mp.Anonymous {
			out = append(out, mp.Name)
		}
	}
	return out
}

func newID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}

func (e *Engine) makeContainerDir(dir, hostname string) error {
	// The root of the container's filesystem takes the upper dir's mode: 0755,
	// or a non-root user in the container cannot read "/".
	for _, d := range []string{"fs/upper", "fs/work", "fs/merged"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("container dir: %w", err)
		}
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		return fmt.Errorf("container dir: %w", err)
	}
	// hosts and resolv.conf depend on the network and are written at each start.
	if err := os.WriteFile(filepath.Join(dir, "hostname"), []byte(hostname+"\n"), 0o644); err != nil {
		return fmt.Errorf("container dir: %w", err)
	}
	return nil
}

// hostResolvConf is the host's resolv.conf without loopback name servers,
// which cannot answer from inside the container's network namespace.
func hostResolvConf() string {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return ""
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "nameserver" && (strings.HasPrefix(f[1], "127.") || f[1] == "::1") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// insert stores the record under the given name, or under a generated one.
func (e *Engine) insert(ctx context.Context, id, imageID, name string, rec *record) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode container: %w", err)
	}
	row := store.Row{ID: id, Name: name, ImageID: imageID, Created: time.Now().UTC(), Data: data}
	if name != "" {
		return e.db.Insert(ctx, row)
	}
	for i := 0; ; i++ {
		row.Name = randomName(i)
		err := e.db.Insert(ctx, row)
		if !errors.Is(err, errdefs.ErrAlreadyExists) || i > 20 {
			return err
		}
	}
}
