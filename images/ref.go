package images

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
)

// Reference is a parsed image reference in Docker's normalisation.
type Reference struct {
	// Repo is the familiar repository name: "busybox", "user/app", "reg:5000/x/y".
	Repo string
	// Tag is the tag; "latest" when the reference names neither tag nor digest.
	Tag string
	// Digest is the "sha256:..." digest when the reference names one.
	Digest string
	// Name is the go-containerregistry reference (registry-qualified) for remote use.
	Name name.Reference
}

// Familiar is the form Docker displays: "busybox:latest" or "busybox@sha256:...".
func (r Reference) Familiar() string {
	if r.Digest != "" {
		return r.Repo + "@" + r.Digest
	}
	return r.Repo + ":" + r.Tag
}

// TagRef is the familiar "repo:tag" form ("" when the reference is by digest only).
func (r Reference) TagRef() string {
	if r.Tag == "" {
		return ""
	}
	return r.Repo + ":" + r.Tag
}

// ParseReference parses an image reference as Docker does: "busybox" is
// docker.io/library/busybox:latest; "reg:5000/x/y:t" and "name@sha256:..." are
// accepted. The result carries the familiar form used for tags.
func ParseReference(s string) (Reference, error) {
	if s == "" || strings.TrimSpace(s) != s {
		return Reference{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid reference format %q", s))
	}
	var opts []name.Option
	if isLocalRegistry(s) {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(s, opts...)
	if err != nil {
		return Reference{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid reference format %q", s))
	}
	for _, c := range strings.Split(ref.Context().RepositoryStr(), "/") {
		if !pathComponent().MatchString(c) {
			return Reference{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid reference format %q", s))
		}
	}
	out := Reference{Name: ref, Repo: familiarRepo(ref.Context())}
	switch r := ref.(type) {
	case name.Tag:
		out.Tag = r.TagStr()
	case name.Digest:
		out.Digest = r.DigestStr()
		if i := strings.LastIndex(s, "@"); i > 0 {
			if t, err := name.NewTag(s[:i], opts...); err == nil && strings.Contains(lastPathElem(s[:i]), ":") {
				out.Tag = t.TagStr()
			}
		}
	}
	return out, nil
}

// pathComponent is one component of a repository's path in Docker's
// reference grammar (go-containerregistry accepts more: ".x", "a/").
var pathComponent = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`) })

func lastPathElem(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// isLocalRegistry reports whether the reference names a registry on the loopback
// interface, which is spoken to over plain HTTP.
func isLocalRegistry(s string) bool {
	host, _, ok := strings.Cut(s, "/")
	if !ok {
		return false
	}
	h := host
	if i := strings.LastIndex(h, ":"); i >= 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	return h == "localhost" || h == "127.0.0.1" || h == "[::1]"
}

// familiarRepo strips Docker Hub's registry and "library/" namespace.
func familiarRepo(repo name.Repository) string {
	reg := repo.RegistryStr()
	path := repo.RepositoryStr()
	if reg == name.DefaultRegistry || reg == "docker.io" {
		return strings.TrimPrefix(path, "library/")
	}
	return reg + "/" + path
}
