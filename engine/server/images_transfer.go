package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/moby/api/pkg/authconfig"

	"berth/images"
)

// imageCreate answers POST /images/create: a pull (fromImage) or an import
// (fromSrc).
func (s *Server) imageCreate(w http.ResponseWriter, r *http.Request) error {
	q := imgQuery(r.URL.Query())
	switch {
	case q.str("fromImage") != "":
		return s.imagePull(w, r, q)
	case q.str("fromSrc") != "":
		return s.imageImport(w, r, q)
	}
	return badRequest("give fromImage to pull an image or fromSrc to import one")
}

// registryKeychain is the X-Registry-Auth header's credentials for every
// registry, as dockerd uses them; no header is anonymous access (the
// server reads no credential file of its own).
func registryKeychain(r *http.Request) (authn.Keychain, error) {
	ac, err := authconfig.Decode(r.Header.Get("X-Registry-Auth"))
	if err != nil {
		return nil, badRequest("the X-Registry-Auth header is not base64url-encoded JSON credentials")
	}
	cfg := authn.AuthConfig{Username: ac.Username, Password: ac.Password, Auth: ac.Auth,
		IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken}
	return headerKeychain{cfg: cfg}, nil
}

// headerKeychain answers every registry with one set of credentials.
type headerKeychain struct{ cfg authn.AuthConfig }

// Resolve returns the credentials, or anonymous access when there are none.
func (k headerKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	if k.cfg == (authn.AuthConfig{}) {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(k.cfg), nil
}

// withTag joins a name and the tag parameter as dockerd does: a digest tag
// ("sha256:…") makes name@digest; a name that has a tag or digest keeps it.
func withTag(ref, tag string) string {
	if tag == "" || strings.Contains(ref, "@") || strings.Contains(lastElem(ref), ":") {
		return ref
	}
	if strings.Contains(tag, ":") {
		return ref + "@" + tag
	}
	return ref + ":" + tag
}

func lastElem(s string) string { return s[strings.LastIndex(s, "/")+1:] }

// fullRepo is the registry-qualified repository as docker prints it:
// "docker.io/library/busybox", "localhost:5000/app".
func fullRepo(r images.Reference) string {
	s := r.Name.Context().Name()
	if reg := r.Name.Context().RegistryStr(); reg == name.DefaultRegistry {
		s = "docker.io" + strings.TrimPrefix(s, reg)
	}
	return s
}

// imagePull pulls fromImage[:tag] with dockerd's progress stream (every tag
// of the repository when neither names a tag or digest). An error before
// the first message is answered with its status; after it, inside the
// stream.
func (s *Server) imagePull(w http.ResponseWriter, r *http.Request, q imgQuery) error {
	from := q.str("fromImage")
	ref := withTag(from, q.str("tag"))
	parsed, err := images.ParseReference(ref)
	if err != nil {
		return err
	}
	keys, err := registryKeychain(r)
	if err != nil {
		return err
	}
	if ref == from && !strings.Contains(from, "@") && !strings.Contains(lastElem(from), ":") {
		return s.imagePullAll(w, r, parsed, images.PullOptions{Platform: q.str("platform"), Keychain: keys})
	}
	ctx := r.Context()
	var before string
	if old, err := s.eng.InspectImage(ctx, ref); err == nil {
		before = old.ID
	}
	tagOrDigest := parsed.Tag
	if parsed.Digest != "" {
		tagOrDigest = parsed.Digest
	}
	st := newJSONStream(w)
	ps := newPullStream(st, imgMessage{Status: "Pulling from " + parsed.Name.Context().RepositoryStr(), ID: tagOrDigest})
	events := make(chan images.Progress, 64)
	var img *images.Image
	done := make(chan error, 1)
	go func() {
		var err error
		img, err = s.eng.PullImage(ctx, ref, images.PullOptions{Platform: q.str("platform"), Progress: events, Keychain: keys})
		close(events)
		done <- err
	}()
	for ev := range events {
		ps.update(ev)
	}
	if err := <-done; err != nil {
		if !st.Started() {
			return err
		}
		_ = st.Send(errorMessage(err))
		return nil
	}
	ps.digest(img, parsed.Repo)
	status := "Downloaded newer image for "
	if before == img.ID && !ps.fetched {
		status = "Image is up to date for "
	}
	ps.send(imgMessage{Status: "Status: " + status + parsed.Familiar()})
	return nil
}

// imagePush answers POST /images/{name}/push?tag= with dockerd's stream.
func (s *Server) imagePush(w http.ResponseWriter, r *http.Request, name string) error {
	ref := withTag(name, imgQuery(r.URL.Query()).str("tag"))
	parsed, err := images.ParseReference(ref)
	if err != nil {
		return err
	}
	if parsed.Tag == "" {
		return badRequest("a digest reference cannot be pushed: name a tag")
	}
	keys, err := registryKeychain(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := s.eng.InspectImage(ctx, ref); err != nil {
		return notFound("an image does not exist locally with the tag: %s", parsed.Repo)
	}
	st := newJSONStream(w)
	_ = st.Send(imgMessage{Status: "The push refers to repository [" + fullRepo(parsed) + "]"})
	events := make(chan images.Progress, 64)
	var digest string
	var size int64
	done := make(chan error, 1)
	go func() {
		var err error
		digest, size, err = s.eng.PushImage(ctx, ref, images.PushOptions{Progress: events, Keychain: keys})
		close(events)
		done <- err
	}()
	for ev := range events {
		_ = st.Send(progressMessage(ev))
	}
	if err := <-done; err != nil {
		_ = st.Send(errorMessage(err))
		return nil
	}
	_ = st.Send(imgMessage{Status: fmt.Sprintf("%s: digest: %s size: %d", parsed.Tag, digest, size)})
	aux := map[string]any{"Tag": parsed.Tag, "Digest": digest, "Size": size}
	_ = st.Send(imgMessage{Aux: aux})
	return nil
}

// imageImport answers POST /images/create?fromSrc=-|URL&repo=&tag=&changes=&message=:
// a one-layer image from a filesystem tar in the body or at an http(s) URL.
func (s *Server) imageImport(w http.ResponseWriter, r *http.Request, q imgQuery) error {
	ref := ""
	if repo := q.str("repo"); repo != "" {
		ref = withTag(repo, q.str("tag"))
	}
	ctx := r.Context()
	var img *images.Image
	var err error
	o := images.ImportOptions{Ref: ref, Changes: q.all("changes"), Message: q.str("message")}
	if src := q.str("fromSrc"); src == "-" {
		img, err = s.eng.ImportImageWith(ctx, r.Body, o)
	} else {
		img, err = s.eng.ImportImageURLWith(ctx, src, o)
	}
	if err != nil {
		return err
	}
	_ = newJSONStream(w).Send(imgMessage{Status: img.ID})
	return nil
}
