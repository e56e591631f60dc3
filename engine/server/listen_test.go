package server

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestListenUnix: the socket is 0660 root's; a socket file left by a dead
// server is replaced, one a live server answers on is not, and a path that
// holds anything but a socket is refused and left as it was.
func TestListenUnix(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the socket to root")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "api.sock")
	l, err := ListenUnix(sock, "")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o660 || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("socket: %v %v", fi, err)
	}
	if _, err := ListenUnix(sock, ""); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("a second server on a live socket: %v", err)
	}
	l.Close() // the file stays, as a killed server leaves it
	l2, err := ListenUnix(sock, "")
	if err != nil {
		t.Fatalf("over a dead server's socket: %v", err)
	}
	l2.Close()
	file := filepath.Join(dir, "precious")
	if err := os.WriteFile(file, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ListenUnix(file, ""); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("over a regular file: %v", err)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "keep me" {
		t.Errorf("the file was touched: %q %v", b, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("left in the directory: %v", ents)
	}
	var _ net.Listener = l
}
