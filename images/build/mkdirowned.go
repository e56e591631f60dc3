package build

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
)

// mkdirAllOwned makes dir and its missing parents with mode 0755, as
// os.MkdirAll does, and gives each directory it made owner (when not nil):
// BuildKit gives the parents a COPY --chown creates to the --chown owner, for
// file and directory sources alike. (Docker's classic builder does so only
// for file sources; berth follows BuildKit.)
func mkdirAllOwned(dir string, owner *[2]int) error {
	var made []string
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil || p == filepath.Dir(p) {
			break
		}
		made = append(made, p)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if owner == nil {
		return nil
	}
	for _, p := range made {
		if err := os.Lchown(p, owner[0], owner[1]); err != nil {
			return fmt.Errorf("chown %s: %w", p, err)
		}
	}
	return nil
}

// makeWorkdir makes a WORKDIR (and its missing parents) in root, owned by
// the stage's USER (resolved in root's /etc/passwd and /etc/group) as
// BuildKit makes it (the classic builder makes it root's); a user name root's
// passwd lacks gives root's, as in BuildKit. It reports whether it made
// anything.
func makeWorkdir(root, dir, usr string) (bool, error) {
	full, err := securejoin.SecureJoin(root, dir)
	if err != nil {
		return false, err
	}
	if fi, err := os.Stat(full); err == nil {
		if !fi.IsDir() {
			return false, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s is not a directory", dir))
		}
		return false, nil
	}
	owner, err := resolveChown(root, usr)
	if err != nil {
		owner = nil // BuildKit reads an unknown user name as root
	}
	if err := mkdirAllOwned(full, owner); err != nil {
		return false, fmt.Errorf("make %s: %w", dir, err)
	}
	return true, nil
}
