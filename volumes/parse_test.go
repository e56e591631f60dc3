package volumes

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
)

func TestParseVolume(t *testing.T) {
	tests := []struct {
		spec string
		want Mount
	}{
		{"/data", Mount{Type: "volume", Target: "/data"}},
		{"data:/var/lib/data", Mount{Type: "volume", Source: "data", Target: "/var/lib/data"}},
		{"data:/d:ro", Mount{Type: "volume", Source: "data", Target: "/d", ReadOnly: true, Mode: "ro"}},
		{"data:/d:nocopy,rw", Mount{Type: "volume", Source: "data", Target: "/d", NoCopy: true, Mode: "nocopy,rw"}},
		{"/srv/site:/www:ro", Mount{Type: "bind", Source: "/srv/site", Target: "/www", ReadOnly: true,
			Propagation: "rprivate", CreateSource: true, Mode: "ro"}},
		{"/srv//site/:/www/", Mount{Type: "bind", Source: "/srv/site", Target: "/www",
			Propagation: "rprivate", CreateSource: true}},
		{"/a:/b:rshared,ro,Z", Mount{Type: "bind", Source: "/a", Target: "/b", ReadOnly: true,
			Propagation: "rshared", Relabel: "Z", CreateSource: true, Mode: "rshared,ro,Z"}},
		{"/a:/b:cached", Mount{Type: "bind", Source: "/a", Target: "/b", Propagation: "rprivate",
			Consistency: "cached", CreateSource: true, Mode: "cached"}},
	}
	for _, tt := range tests {
		got, err := ParseVolume(tt.spec)
		tt.want.Spec = tt.spec
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseVolume(%q) = %+v, %v\nwant %+v", tt.spec, got, err, tt.want)
		}
	}
}

func TestParseVolumeBad(t *testing.T) {
	for _, spec := range []string{"", ":/x", "data:relative", "data:", "/x:", "a/b:/x", "..:/x",
		"../etc:/x", "data:/", "/", "relative", "/a:/b:rw,ro", "/a:/b:bogus", "/a:/b:nocopy",
		"data:/d:shared", "/x:rw", "a:b:c:d", "/a:/b:ro:", "data::/x"} {
		_, err := ParseVolume(spec)
		if !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("ParseVolume(%q): %v, want invalid argument", spec, err)
			continue
		}
		if !strings.Contains(err.Error(), spec) {
			t.Errorf("ParseVolume(%q): error %q does not name the spec", spec, err)
		}
	}
}

func TestParseMount(t *testing.T) {
	tests := []struct {
		spec string
		want Mount
	}{
		{"type=volume,src=data,dst=/d,readonly", Mount{Type: "volume", Source: "data", Target: "/d", ReadOnly: true}},
		{"source=data,target=/d", Mount{Type: "volume", Source: "data", Target: "/d"}},
		{"destination=/d,volume-nocopy", Mount{Type: "volume", Target: "/d", NoCopy: true}},
		{"type=volume,dst=/d,ro=false,volume-nocopy=true", Mount{Type: "volume", Target: "/d", NoCopy: true}},
		{`type=volume,src=tv,dst=/t,volume-driver=local,volume-opt=type=tmpfs,volume-opt=device=tmpfs,"volume-opt=o=size=1m,uid=1"`,
			Mount{Type: "volume", Source: "tv", Target: "/t", VolumeOptions: map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=1m,uid=1"}}},
		{"type=bind,src=/srv,dst=/www,ro=true", Mount{Type: "bind", Source: "/srv", Target: "/www",
			ReadOnly: true, Propagation: "rprivate"}},
		{"type=bind,src=/srv,dst=/www,bind-propagation=rslave", Mount{Type: "bind", Source: "/srv",
			Target: "/www", Propagation: "rslave"}},
		{"type=tmpfs,dst=/tmp,tmpfs-size=64m,tmpfs-mode=1777", Mount{Type: "tmpfs", Target: "/tmp",
			TmpfsSize: 64 << 20, TmpfsMode: os.ModeSticky | 0o777}},
		{`"type=bind","src=/a,b",dst=/c`, Mount{Type: "bind", Source: "/a,b", Target: "/c", Propagation: "rprivate"}},
		{"Type=volume,DST=/d,consistency=delegated", Mount{Type: "volume", Target: "/d", Consistency: "delegated"}},
	}
	for _, tt := range tests {
		got, err := ParseMount(tt.spec)
		tt.want.Spec = tt.spec
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseMount(%q) = %+v, %v\nwant %+v", tt.spec, got, err, tt.want)
		}
	}
}

func TestParseMountBad(t *testing.T) {
	tests := []struct{ spec, mention string }{
		{"type=volume,src=data,dst=/d,colour=red", "colour"},
		{"type=volume,src=data", "target"},
		{"type=volume,src=data,dst=relative", "relative"},
		{"type=bind,dst=/d", "source"},
		{"type=bind,src=rel,dst=/d", "rel"},
		{"type=nfs,dst=/d", "nfs"},
		{"type=tmpfs,src=x,dst=/d", "source"},
		{"type=tmpfs,dst=/d,tmpfs-size=lots", "tmpfs-size"},
		{"type=tmpfs,dst=/d,tmpfs-mode=999", "tmpfs-mode"},
		{"type=volume,dst=/d,tmpfs-size=1m", "tmpfs-"},
		{"type=volume,dst=/d,volume-driver=nfs", `volume driver "nfs" not found`},
		{"type=volume,dst=/d,volume-opt=size", `invalid volume-opt "size"`},
		{"type=volume,dst=/d,volume-opt=type=tmpfs", `missing required option: "device"`},
		{"type=volume,dst=/d,volume-opt=colour=red,volume-opt=type=tmpfs,volume-opt=device=tmpfs", `invalid option: "colour"`},
		{"type=volume,dst=/d,bind-propagation=shared", "bind-"},
		{"type=bind,src=/a,dst=/d,volume-nocopy", "volume-"},
		{"type=bind,src=/a,dst=/d,bind-propagation=sideways", "sideways"},
		{"src=a/b,dst=/d", "a/b"},
		{"src=..,dst=/d", ".."},
		{"dst=/d,ro=maybe", "maybe"},
		{"type", "type"},
		{`src="unterminated,dst=/d`, "unterminated"},
		{"type=volume,dst=/", "/"},
	}
	for _, tt := range tests {
		_, err := ParseMount(tt.spec)
		if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("ParseMount(%q): %v, want invalid argument mentioning %q", tt.spec, err, tt.mention)
		}
	}
}

func TestParseTmpfs(t *testing.T) {
	tests := []struct {
		spec string
		want Mount
	}{
		{"/run", Mount{Type: "tmpfs", Target: "/run"}},
		{"/run:size=16m,mode=1777", Mount{Type: "tmpfs", Target: "/run", TmpfsSize: 16 << 20,
			TmpfsMode: os.ModeSticky | 0o777}},
		{"/run:ro,noexec,nosuid", Mount{Type: "tmpfs", Target: "/run", ReadOnly: true,
			TmpfsOptions: []string{"ro", "noexec", "nosuid"}}},
		{"/run:size=1g,mode=755,exec", Mount{Type: "tmpfs", Target: "/run", TmpfsSize: 1 << 30,
			TmpfsMode: 0o755, TmpfsOptions: []string{"exec"}}},
	}
	for _, tt := range tests {
		got, err := ParseTmpfs(tt.spec)
		tt.want.Spec = tt.spec
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseTmpfs(%q) = %+v, %v\nwant %+v", tt.spec, got, err, tt.want)
		}
	}
	for _, spec := range []string{"", "run", "/", "/run:size=big", "/run:mode=9", "/run:bogus", "/run:size", ":size=1m"} {
		if _, err := ParseTmpfs(spec); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("ParseTmpfs(%q): %v, want invalid argument", spec, err)
		}
	}
}

func TestPrepareBind(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	m, err := ParseMount("type=bind,src=" + missing + ",dst=/x")
	if err != nil {
		t.Fatal(err)
	}
	if err := PrepareBind(m); !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("--mount bind of a missing path: %v", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("--mount created the source: %v", err)
	}
	m, err = ParseVolume(missing + ":/x")
	if err != nil {
		t.Fatal(err)
	}
	if err := PrepareBind(m); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(missing); err != nil || !st.IsDir() {
		t.Fatalf("-v did not create the source: %v", err)
	}
}

// checkParsed holds the invariants of any successfully parsed mount.
func checkParsed(t *testing.T, spec string, m Mount, err error) {
	if err != nil {
		if !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Fatalf("%q: unclassified error %v", spec, err)
		}
		return
	}
	if !filepath.IsAbs(m.Target) || m.Target == "/" || filepath.Clean(m.Target) != m.Target {
		t.Fatalf("%q: bad target %q", spec, m.Target)
	}
	switch m.Type {
	case TypeBind:
		if !filepath.IsAbs(m.Source) || m.Propagation == "" {
			t.Fatalf("%q: bad bind %+v", spec, m)
		}
	case TypeVolume:
		if m.Source != "" && ValidateName(m.Source) != nil {
			t.Fatalf("%q: bad volume name %q", spec, m.Source)
		}
	case TypeTmpfs:
		if m.Source != "" {
			t.Fatalf("%q: tmpfs with source", spec)
		}
	default:
		t.Fatalf("%q: type %q", spec, m.Type)
	}
}

func FuzzParseVolume(f *testing.F) {
	for _, s := range []string{"/data", "data:/d:ro", "/a:/b:rshared,Z", ":/x", "data:relative", "a/b:/x", "x:y:z:w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		m, err := ParseVolume(spec)
		checkParsed(t, spec, m, err)
	})
}

func FuzzParseMount(f *testing.F) {
	for _, s := range []string{"type=volume,src=data,dst=/d,readonly", "type=bind,src=/a,dst=/b,bind-propagation=shared",
		"type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1777", `"src=a,b",dst=/x`, "colour=red", "volume-nocopy=false,dst=/v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		m, err := ParseMount(spec)
		checkParsed(t, spec, m, err)
	})
}

func FuzzParseTmpfs(f *testing.F) {
	for _, s := range []string{"/run", "/run:size=16m,mode=1777", "/t:ro,noexec", "rel", "/x:size="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		m, err := ParseTmpfs(spec)
		checkParsed(t, spec, m, err)
	})
}
