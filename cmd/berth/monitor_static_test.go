package main

import (
	"debug/elf"
	"path/filepath"
	"testing"
)

// berth-monitor is linked statically: it runs twice per container start (as
// the monitor and, re-executed by runc, as the container's init), and a
// dynamic loader would cost each of them the loading and relocation of its
// libraries.
func TestMonitorIsStatic(t *testing.T) {
	f, err := elf.Open(filepath.Join(binDir, "berth-monitor"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("berth-monitor has a program interpreter: it is linked dynamically")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("berth-monitor needs shared libraries: %v", libs)
	}
}
