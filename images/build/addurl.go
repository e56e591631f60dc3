package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

// isURL says whether an ADD source is fetched over HTTP(S).
func isURL(src string) bool {
	return strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://")
}

// remoteFiles are an ADD's URL sources, fetched into a private directory
// under the names BuildKit gives them (the URL path's last element, else
// "__unnamed__"), mode 0600.
type remoteFiles struct {
	urls     []string
	names    []string
	checksum digest.Digest // --checksum: the one URL's expected digest
	dir      string
	done     func() // removes dir
	fetched  bool
}

// planRemote checks an ADD's URL sources and --checksum. Without a checksum
// the files are fetched now, as the step's cache key is their content (as
// in Docker); with one, the checksum is the key and the fetch waits until
// the step is not cached.
func (bd *build) planRemote(ctx context.Context, urls []string, checksum string, locals int) (*remoteFiles, string, error) {
	if checksum != "" && (len(urls) != 1 || locals > 0) {
		if len(urls)+locals > 1 {
			return nil, "", errdefs.ErrInvalidArgument.WithMessage("checksum can't be specified for multiple sources")
		}
		return nil, "", errdefs.ErrInvalidArgument.WithMessage("checksum requires HTTP(S) sources")
	}
	if len(urls) == 0 {
		return nil, "", nil
	}
	r := &remoteFiles{urls: urls}
	if checksum != "" {
		d, err := digest.Parse(checksum)
		if err != nil {
			return nil, "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid --checksum %q: %v", checksum, err))
		}
		r.checksum = d
	}
	for _, u := range urls {
		name := "__unnamed__"
		if pu, err := url.Parse(u); err == nil {
			if base := path.Base(pu.Path); base != "." && base != "/" {
				name = base
			}
		}
		r.names = append(r.names, name)
	}
	dir, done, err := bd.store.TempDir("add-")
	if err != nil {
		return nil, "", fmt.Errorf("ADD: %w", err)
	}
	r.dir, r.done = dir, done
	if r.checksum != "" {
		return r, fmt.Sprintf("url %s name %s checksum %s", urls[0], r.names[0], r.checksum), nil
	}
	if err := r.fetch(ctx); err != nil {
		r.cleanup()
		return nil, "", err
	}
	var key strings.Builder
	for i, name := range r.names {
		sum, err := fileSHA256(filepath.Join(dir, name))
		if err != nil {
			r.cleanup()
			return nil, "", err
		}
		fmt.Fprintf(&key, "url %s name %s content %s\x00", urls[i], name, sum)
	}
	return r, key.String(), nil
}

// cleanup removes the fetched files.
func (r *remoteFiles) cleanup() {
	if r != nil && r.done != nil {
		r.done()
	}
}

// fetch downloads each URL (once) and checks --checksum.
func (r *remoteFiles) fetch(ctx context.Context) error {
	if r.fetched {
		return nil
	}
	for i, u := range r.urls {
		if err := fetchURL(ctx, u, filepath.Join(r.dir, r.names[i]), r.checksum); err != nil {
			return err
		}
	}
	r.fetched = true
	return nil
}

// fetchURL downloads u to file (mode 0600, mtime from Last-Modified) and
// checks its digest when want is set; a failed fetch leaves no file.
func fetchURL(ctx context.Context, u, file string, want digest.Digest) (err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid URL %s: %v", u, err))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("fetch %s: %s", u, resp.Status)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	defer func() {
		if err != nil {
			os.Remove(file)
		}
	}()
	algo := digest.SHA256
	if want != "" {
		algo = want.Algorithm()
	}
	v := algo.Digester()
	_, err = io.Copy(io.MultiWriter(f, v.Hash()), resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	if got := v.Digest(); want != "" && got != want {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("checksum mismatch for %s: got %s, --checksum says %s", u, got, want))
	}
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		_ = os.Chtimes(file, time.Now(), lm)
	}
	return nil
}

// fileSHA256 is a file's content hash.
func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// copyRemote fetches an ADD's URLs if not done yet and copies them to the
// step's filesystem with the ADD's rules (remote archives are not unpacked).
func (bd *build) copyRemote(ctx context.Context, root string, cs copySpec) error {
	if err := cs.remote.fetch(ctx); err != nil {
		return err
	}
	in := cs
	in.srcs, in.unpack = cs.remote.names, false
	return bd.copyFiles(cs.remote.dir, root, in, false)
}
