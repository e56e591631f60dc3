package volumes

import (
	"archive/tar"
	"io"
	"strings"
)

// RenameTop rewrites a cp archive so that its top entry (and everything
// under it) is named name: `docker cp C:/etc/hostname ./h` makes ./h, not
// ./hostname, when ./h does not exist yet.
func RenameTop(r io.Reader, name string) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		tr := tar.NewReader(r)
		tw := tar.NewWriter(pw)
		top := ""
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				pw.CloseWithError(tw.Close())
				return
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			first, rest := topOf(hdr.Name)
			if top == "" {
				top = first
			}
			if first == top {
				hdr.Name = name
				if rest != "" {
					hdr.Name += "/" + rest
				}
			}
			if err := tw.WriteHeader(hdr); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := io.Copy(tw, tr); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	return pr
}

// topOf splits an entry's name into its top component and the rest; the
// entries of a directory's contents (path/.: "./", "./a", "./sub/b") have
// "." on top.
func topOf(name string) (first, rest string) {
	if name == "." || strings.HasPrefix(name, "./") {
		return ".", strings.Trim(strings.TrimPrefix(name, "."), "/")
	}
	first, rest, _ = strings.Cut(name, "/")
	return first, rest
}
