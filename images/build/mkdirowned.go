package build

import (
	"fmt"
	"os"
	"path/filepath"
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
