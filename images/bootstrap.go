package images

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/go-archive"
	"github.com/moby/go-archive/compression"
)

// DefaultPath is the PATH set in the environment of bootstrapped images.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// bootstrapTime is the fixed timestamp of bootstrapped busybox files and config,
// so that bootstrapping twice on one host yields the same image ID.
var bootstrapTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// BootstrapNames lists the base images Bootstrap can make.
func BootstrapNames() []string { return []string{"busybox", "debian"} }

// Bootstrap makes a base image with no registry: "busybox" (busybox:latest from the
// host's static busybox) or "debian" (debian:bookworm via debootstrap). Missing
// host packages are installed with apt-get; progress receives one line per step.
func (s *Store) Bootstrap(ctx context.Context, name string, progress func(string)) (*Image, error) {
	if progress == nil {
		progress = func(string) {}
	}
	var img *Image
	var err error
	switch name {
	case "busybox":
		img, err = s.bootstrapBusybox(ctx, progress)
	case "debian":
		img, err = s.bootstrapDebian(ctx, progress)
	default:
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("bootstrap %q: unknown base image (known: %s)", name, strings.Join(BootstrapNames(), ", ")))
	}
	if err != nil {
		return nil, err
	}
	s.emitImported(img, img.RepoTags)
	return img, nil
}

// ensureTool installs a Debian package with apt-get when path does not exist.
func ensureTool(ctx context.Context, path, pkg string, progress func(string)) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	progress(fmt.Sprintf("%s not found: installing %s with apt-get", path, pkg))
	cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "--no-install-recommends", pkg)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("apt-get install %s: %w: %s", pkg, err, tail(out, 400))
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%s still missing after installing %s: %w", path, pkg, err)
	}
	progress("installed " + pkg)
	return nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}

func (s *Store) bootstrapBusybox(ctx context.Context, progress func(string)) (*Image, error) {
	const bin = "/bin/busybox"
	if err := ensureTool(ctx, bin, "busybox-static", progress); err != nil {
		return nil, fmt.Errorf("bootstrap busybox: %w", err)
	}
	progress("building busybox:latest from " + bin)
	body, err := os.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("bootstrap busybox: %w", err)
	}
	list, err := exec.CommandContext(ctx, bin, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("bootstrap busybox: %s --list-full: %w", bin, err)
	}
	var buf bytes.Buffer
	if err := busyboxTar(&buf, body, strings.Fields(string(list))); err != nil {
		return nil, fmt.Errorf("bootstrap busybox: %w", err)
	}
	tmp, done, err := s.tmpDir("bootstrap-")
	if err != nil {
		return nil, err
	}
	defer done()
	lf, err := s.writeLayer(ctx, tmp, &buf)
	if err != nil {
		return nil, fmt.Errorf("bootstrap busybox: %w", err)
	}
	created := v1.Time{Time: bootstrapTime}
	cfg := v1.ConfigFile{
		Architecture: runtime.GOARCH, OS: "linux", Created: created,
		Config: v1.Config{Env: []string{DefaultPath}, Cmd: []string{"sh"}},
		History: []v1.History{
			{Created: created, CreatedBy: "berth image bootstrap busybox: ADD " + lf.diffID + " in / (host " + bin + ")"},
			{Created: created, CreatedBy: `CMD ["sh"]`, EmptyLayer: true},
		},
	}
	img, err := s.commitLayers(ctx, cfg, []layerFile{lf}, []string{"busybox:latest"}, "")
	if err == nil {
		progress("busybox:latest is " + img.ID)
	}
	return img, err
}

// busyboxTar writes the busybox root filesystem: the binary, a symlink per applet,
// /etc/passwd and /etc/group, and the usual empty directories, in sorted order
// with fixed times.
func busyboxTar(w io.Writer, body []byte, applets []string) error {
	dirs, files, links := busyboxTree(body, applets)
	var names []string
	for n := range dirs {
		names = append(names, n)
	}
	for n := range files {
		names = append(names, n)
	}
	for n := range links {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tar.NewWriter(w)
	for _, n := range names {
		hdr := &tar.Header{Name: n, ModTime: bootstrapTime, Format: tar.FormatPAX, Uname: "root", Gname: "root"}
		switch {
		case dirs[n] != 0:
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, n+"/", int64(dirs[n].Perm())
			if dirs[n]&os.ModeSticky != 0 {
				hdr.Mode |= 0o1000
			}
		case files[n] != nil:
			hdr.Typeflag, hdr.Size, hdr.Mode = tar.TypeReg, int64(len(files[n])), 0o644
			if n == "bin/busybox" {
				hdr.Mode = 0o755
			}
		default:
			hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, "/bin/busybox", 0o777
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("write %s: %w", n, err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write(files[n]); err != nil {
				return fmt.Errorf("write %s: %w", n, err)
			}
		}
	}
	return tw.Close()
}

// busyboxTree lists the directories (with modes), files and applet links of the
// busybox image.
func busyboxTree(body []byte, applets []string) (map[string]os.FileMode, map[string][]byte, map[string]bool) {
	dirs := map[string]os.FileMode{"bin": 0o755, "dev": 0o755, "etc": 0o755, "home": 0o755, "proc": 0o555,
		"root": 0o700, "sys": 0o555, "tmp": 0o777 | os.ModeSticky, "usr": 0o755, "var": 0o755,
		"var/spool": 0o755, "var/spool/mail": 0o755, "var/www": 0o755}
	files := map[string][]byte{
		"etc/passwd": []byte("root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nbin:x:2:2:bin:/bin:/bin/false\n" +
			"sys:x:3:3:sys:/dev:/bin/false\nsync:x:4:100:sync:/bin:/bin/sync\nmail:x:8:8:mail:/var/spool/mail:/bin/false\n" +
			"www-data:x:33:33:www-data:/var/www:/bin/false\noperator:x:37:37:Operator:/var:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n"),
		"etc/group": []byte("root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\nwheel:x:10:root\nmail:x:12:\n" +
			"www-data:x:33:\noperator:x:37:\nstaff:x:50:\nusers:x:100:\nnogroup:x:65534:\n"),
		"etc/hostname": []byte("localhost\n"),
		"bin/busybox":  body,
	}
	links := map[string]bool{}
	for _, a := range applets {
		a = strings.TrimPrefix(path.Clean(a), "/")
		if a == "bin/busybox" || a == "." || strings.HasPrefix(a, "..") {
			continue
		}
		links[a] = true
		for d := path.Dir(a); d != "."; d = path.Dir(d) {
			if _, ok := dirs[d]; !ok {
				dirs[d] = 0o755
			}
		}
	}
	return dirs, files, links
}

// DebianSuite is the Debian release Bootstrap("debian") installs.
const DebianSuite = "bookworm"

func (s *Store) bootstrapDebian(ctx context.Context, progress func(string)) (*Image, error) {
	if err := ensureTool(ctx, "/usr/sbin/debootstrap", "debootstrap", progress); err != nil {
		return nil, fmt.Errorf("bootstrap debian: %w", err)
	}
	tmp, done, err := s.tmpDir("debootstrap-")
	if err != nil {
		return nil, err
	}
	defer done()
	rootfs := tmp + "/rootfs"
	progress("debootstrap --variant=minbase " + DebianSuite + " (this takes a few minutes)")
	cmd := exec.CommandContext(ctx, "debootstrap", "--variant=minbase", DebianSuite, rootfs)
	if err := runLines(cmd, progress); err != nil {
		return nil, fmt.Errorf("bootstrap debian: debootstrap: %w", err)
	}
	_ = os.RemoveAll(rootfs + "/var/cache/apt/archives")
	_ = os.MkdirAll(rootfs+"/var/cache/apt/archives/partial", 0o755)
	progress("packing root filesystem")
	rc, err := archive.TarWithOptions(rootfs, &archive.TarOptions{Compression: compression.None})
	if err != nil {
		return nil, fmt.Errorf("bootstrap debian: tar rootfs: %w", err)
	}
	defer rc.Close()
	lf, err := s.writeLayer(ctx, tmp, rc)
	if err != nil {
		return nil, fmt.Errorf("bootstrap debian: %w", err)
	}
	now := v1.Time{Time: time.Now().UTC().Truncate(time.Second)}
	cfg := v1.ConfigFile{
		Architecture: runtime.GOARCH, OS: "linux", Created: now,
		Config: v1.Config{Env: []string{DefaultPath}, Cmd: []string{"bash"}},
		History: []v1.History{
			{Created: now, CreatedBy: "berth image bootstrap debian: debootstrap --variant=minbase " + DebianSuite},
			{Created: now, CreatedBy: `CMD ["bash"]`, EmptyLayer: true},
		},
	}
	img, err := s.commitLayers(ctx, cfg, []layerFile{lf}, []string{"debian:" + DebianSuite}, "")
	if err == nil {
		progress("debian:" + DebianSuite + " is " + img.ID)
	}
	return img, err
}

// runLines runs cmd, passing each output line to progress.
func runLines(cmd *exec.Cmd, progress func(string)) error {
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan []string, 1)
	go func() {
		var last []string
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			progress(sc.Text())
			last = append(last, sc.Text())
			if len(last) > 5 {
				last = last[1:]
			}
		}
		done <- last
	}()
	err := cmd.Wait()
	pw.Close()
	last := <-done
	if err != nil {
		return fmt.Errorf("%w: %s", err, strings.Join(last, "; "))
	}
	return nil
}
