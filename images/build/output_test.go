package build

import (
	"runtime"
	"testing"

	"github.com/containerd/errdefs"

	"berth/testdata/fuzzcheck"
)

// TestParseOutput reads -o values as docker build does.
func TestParseOutput(t *testing.T) {
	for _, tc := range []struct{ spec, typ, dest, err string }{
		{spec: "out", typ: "local", dest: "out"},
		{spec: "-", typ: "tar", dest: "-"},
		{spec: "type=local,dest=d", typ: "local", dest: "d"},
		{spec: "type=tar,dest=out.tar", typ: "tar", dest: "out.tar"},
		{spec: "type=tar", typ: "tar", dest: "-"},
		{spec: `"type=local","dest=a,b"`, typ: "local", dest: "a,b"},
		{spec: "", err: "invalid -o: an output is needed (type=local,dest=DIR or type=tar,dest=FILE)"},
		{spec: "type=local", err: `invalid -o "type=local": type=local needs dest=DIR`},
		{spec: "dest=x", err: `invalid -o "dest=x": type is needed (local or tar)`},
		{spec: "type=oci,dest=x", err: `invalid -o "type=oci,dest=x": output type "oci" is not supported (local or tar)`},
		{spec: "type=tar,compression=gzip", err: `invalid -o "type=tar,compression=gzip": unknown key "compression" (berth knows type and dest)`},
		{spec: "type=tar,dest", err: `invalid -o "type=tar,dest": "dest" is not key=value`},
		{spec: `type="tar`, err: `invalid -o "type=\"tar": not a comma-separated list of key=value`},
	} {
		o, err := ParseOutput(tc.spec)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || !errdefs.IsInvalidArgument(err) {
				t.Errorf("%q: %v, want %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || o.Type != tc.typ || o.Dest != tc.dest {
			t.Errorf("%q: %+v %v", tc.spec, o, err)
		}
	}
}

// TestCheckPlatform accepts the machine's platform and refuses others in
// one sentence.
func TestCheckPlatform(t *testing.T) {
	host := "linux/" + runtime.GOARCH
	for _, ok := range []string{"", host} {
		if err := checkPlatform(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	other := "linux/s390x"
	if runtime.GOARCH == "s390x" {
		other = "linux/amd64"
	}
	for _, bad := range []string{other, "windows/" + runtime.GOARCH, "a/b/c/d"} {
		err := checkPlatform(bad)
		if want := "berth builds only for this machine's platform " + host + ", not " + bad; err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", bad, err, want)
		}
	}
	b := newBuilder(t)
	if _, err := b.Build(t.Context(), Options{Dockerfile: []byte("FROM --platform=" + other + " scratch\n")}, nil); err == nil ||
		err.Error() != "Dockerfile:1: FROM --platform="+other+" scratch: berth builds only for this machine's platform "+host+", not "+other {
		t.Errorf("FROM --platform: %v", err)
	}
	if _, err := b.Build(t.Context(), Options{Dockerfile: []byte("FROM --platform=$BUILDPLATFORM scratch\nENV A=1\n")}, nil); err != nil {
		t.Errorf("FROM --platform=$BUILDPLATFORM: %v", err)
	}
}

// FuzzParseOutput feeds any -o value to the parser: an output with a type
// and destination, or one plain sentence.
func FuzzParseOutput(f *testing.F) {
	for _, s := range []string{"out", "-", "type=local,dest=d", "type=tar,dest=o.tar", "type=tar", "type=oci",
		`"type=local","dest=a,b"`, "type=tar,dest", `type="tar`, "=,=", "type=local,dest=-", ",", "TYPE=tar,DEST=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		o, err := ParseOutput(spec)
		if err != nil {
			fuzzcheck.Check(t, err, spec)
			return
		}
		if (o.Type != "local" && o.Type != "tar") || o.Dest == "" || (o.Type == "local" && o.Dest == "-") {
			t.Errorf("%q accepted as %+v", spec, o)
		}
	})
}
