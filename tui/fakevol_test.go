package tui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
	"berth/volumes"
)

// fakeVolumes is an in-memory volume store: pgdata (named, mounted by
// demo-cpu and web), web's anonymous cache, an unused anonymous volume and
// an unused named one whose size is not known yet.
type fakeVolumes struct {
	mu    sync.Mutex
	vols  map[string]*engine.Volume
	sizes map[string]int64
	acts  []string
}

const (
	anonCache  = "3f2a9c0d5e7b41a6b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5"
	anonUnused = "9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f"
)

func newFakeVolumes(f *fakeEngine) *fakeVolumes {
	const root = "/var/lib/berth-test/volumes/"
	vol := func(name string, anon bool, age time.Duration, labels map[string]string) *engine.Volume {
		return &engine.Volume{Name: name, Driver: engine.VolumeDriverLocal, Mountpoint: root + name + "/_data",
			Labels: labels, CreatedAt: testNow.Add(-age), Anonymous: anon}
	}
	fv := &fakeVolumes{vols: map[string]*engine.Volume{
		"pgdata":   vol("pgdata", false, 3*time.Hour, map[string]string{"app": "db"}),
		anonCache:  vol(anonCache, true, 2*time.Hour, nil),
		anonUnused: vol(anonUnused, true, 26*time.Hour, nil),
		"backups":  vol("backups", false, 10*time.Minute, nil),
	}, sizes: map[string]int64{"pgdata": 48 << 20, anonCache: 1536 << 10, anonUnused: 4 << 10}}
	cpu, web := f.cs[1], f.cs[3]
	cpu.Mounts = []engine.MountPoint{
		{Type: "volume", Name: "pgdata", Source: root + "pgdata/_data", Destination: "/var/lib/data", Driver: "local", RW: true},
		{Type: "bind", Source: "/srv/site", Destination: "/www", Mode: "ro", RW: false, Propagation: "rprivate"},
		{Type: "tmpfs", Destination: "/tmp", RW: true, TmpfsSize: 64 << 20},
	}
	web.Mounts = []engine.MountPoint{
		{Type: "volume", Name: "pgdata", Source: root + "pgdata/_data", Destination: "/data", Driver: "local", Mode: "ro"},
		{Type: "volume", Name: anonCache, Source: root + anonCache + "/_data", Destination: "/var/cache/nginx", Driver: "local", RW: true, Anonymous: true},
	}
	fv.vols["pgdata"].UsedBy = []string{cpu.ID, web.ID}
	fv.vols[anonCache].UsedBy = []string{web.ID}
	return fv
}

func (fv *fakeVolumes) List(ctx context.Context, filters map[string][]string) ([]engine.Volume, error) {
	fv.mu.Lock()
	defer fv.mu.Unlock()
	out := make([]engine.Volume, 0, len(fv.vols))
	for _, v := range fv.vols {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (fv *fakeVolumes) Create(ctx context.Context, name string, labels map[string]string) (*engine.Volume, error) {
	fv.mu.Lock()
	defer fv.mu.Unlock()
	anon := name == ""
	if anon {
		name = fmt.Sprintf("%064x", len(fv.vols))
	} else if err := volumes.ValidateName(name); err != nil {
		return nil, err
	}
	if v, ok := fv.vols[name]; ok {
		return v, nil
	}
	v := &engine.Volume{Name: name, Driver: engine.VolumeDriverLocal, Mountpoint: "/var/lib/berth-test/volumes/" + name + "/_data",
		Labels: labels, CreatedAt: testNow, Anonymous: anon}
	fv.vols[name] = v
	fv.acts = append(fv.acts, "create "+name)
	return v, nil
}

func (fv *fakeVolumes) Remove(ctx context.Context, name string, force bool) error {
	fv.mu.Lock()
	defer fv.mu.Unlock()
	v, ok := fv.vols[name]
	if !ok {
		if force {
			return nil
		}
		return fmt.Errorf("volume %s: %w", name, errdefs.ErrNotFound)
	}
	if len(v.UsedBy) > 0 {
		return fmt.Errorf("remove %s: volume is in use - [%s]: %w", name, strings.Join(v.UsedBy, ", "), errdefs.ErrConflict)
	}
	delete(fv.vols, name)
	fv.acts = append(fv.acts, "rm "+name)
	return nil
}

func (fv *fakeVolumes) Prune(ctx context.Context, all bool) ([]string, uint64, error) {
	fv.mu.Lock()
	defer fv.mu.Unlock()
	gone := []string{}
	var bytes uint64
	for name, v := range fv.vols {
		if len(v.UsedBy) == 0 && (v.Anonymous || all) {
			gone = append(gone, name)
			bytes += uint64(fv.sizes[name])
			delete(fv.vols, name)
		}
	}
	sort.Strings(gone)
	fv.acts = append(fv.acts, fmt.Sprintf("prune %d", len(gone)))
	return gone, bytes, nil
}

func (fv *fakeVolumes) SizeAsync(ctx context.Context, name string) (int64, bool) {
	fv.mu.Lock()
	defer fv.mu.Unlock()
	n, ok := fv.sizes[name]
	return n, ok
}

// setSize records a size as a finished background walk would.
func (fv *fakeVolumes) setSize(name string, n int64) {
	fv.mu.Lock()
	defer fv.mu.Unlock()
	fv.sizes[name] = n
}
