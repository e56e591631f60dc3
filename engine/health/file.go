package health

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// FileName is the file, in a container's directory, where its monitor
// publishes its health.
//
// Only the monitor writes it, and always whole: a temporary file renamed
// over the old one, so that any other berth process reads the last complete
// state without taking a lock and without asking the monitor. It is
// rewritten after each check (once an interval), when the container starts
// (starting) and when its checks end (unhealthy, as Docker leaves a stopped
// container); it goes with the container's directory.
const FileName = "health.json"

// Write publishes s at path atomically (see FileName).
func Write(path string, s *State) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode health: %w", err)
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write health: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write health: %w", err)
	}
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", filepath.Base(path), err)
	}
	return nil
}
