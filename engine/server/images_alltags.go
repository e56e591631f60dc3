package server

import (
	"context"
	"net/http"
	"strings"

	"berth/images"
)

// imagePullAll answers a pull that names no tag: every tag the registry
// lists, each with its "Pulling from" header, layers and digest line as
// dockerd writes them, then one status for the repository.
func (s *Server) imagePullAll(w http.ResponseWriter, r *http.Request, parsed images.Reference, o images.PullOptions) error {
	ctx := r.Context()
	before := s.repoTagIDs(ctx, parsed.Repo)
	st := newJSONStream(w)
	events := make(chan images.Progress, 64)
	o.Progress = events
	done := make(chan error, 1)
	go func() {
		_, err := s.eng.PullAllTags(ctx, parsed.Repo, o)
		close(events)
		done <- err
	}()
	var cur *pullStream
	var curRef string
	newer := false
	finish := func() { // cur's tag is stored: its digest line
		if cur == nil {
			return
		}
		if img, err := s.eng.InspectImage(ctx, curRef); err == nil {
			cur.digest(img, parsed.Repo)
			newer = newer || cur.fetched || before[curRef] != img.ID
		}
	}
	for ev := range events {
		if ev.Tag == "" {
			if cur != nil {
				cur.update(ev)
			}
			continue
		}
		finish()
		cur, curRef = newPullStream(st, imgMessage{Status: "Pulling from " + parsed.Name.Context().RepositoryStr(), ID: ev.Tag}), parsed.Repo+":"+ev.Tag
		if st.Started() {
			_ = st.Send(cur.header)
		}
	}
	if err := <-done; err != nil {
		if !st.Started() {
			return err
		}
		_ = st.Send(errorMessage(err))
		return nil
	}
	finish()
	status := "Downloaded newer image for "
	if !newer {
		status = "Image is up to date for "
	}
	_ = st.Send(imgMessage{Status: "Status: " + status + parsed.Repo})
	return nil
}

// repoTagIDs maps each local tag of repo to its image's ID.
func (s *Server) repoTagIDs(ctx context.Context, repo string) map[string]string {
	out := map[string]string{}
	list, err := s.eng.ListImages(ctx, images.ListOptions{Filters: map[string][]string{"reference": {repo}}})
	if err != nil {
		return out
	}
	for _, img := range list {
		for _, t := range img.RepoTags {
			out[t] = img.ID
		}
	}
	return out
}

// digest sends the "Digest: sha256:…" line of the image pulled: its digest
// in repo (the familiar repository pulled from), else its first.
func (p *pullStream) digest(img *images.Image, repo string) {
	if len(img.RepoDigests) == 0 {
		return
	}
	d := img.RepoDigests[0]
	for _, rd := range img.RepoDigests {
		if strings.HasPrefix(rd, repo+"@") {
			d = rd
			break
		}
	}
	_, d, _ = strings.Cut(d, "@")
	p.send(imgMessage{Status: "Digest: " + d})
}
