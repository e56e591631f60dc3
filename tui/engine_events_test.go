package tui

import (
	"archive/tar"
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"berth/engine"
	"berth/engine/events"
)

// rootfsTar is a one-file root filesystem tar for an import.
func rootfsTar(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: "etc/x", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte("x\n"))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hasEvent reports whether the engine's events log holds an event of type
// typ and action whose name is name.
func hasEvent(t *testing.T, e *engine.Engine, typ, action, name string) bool {
	t.Helper()
	evs, err := e.ReadEvents(context.Background(), events.Filter{Types: []string{typ}, Actions: []string{action}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Attributes["name"] == name || ev.ID == name {
			return true
		}
	}
	return false
}

// TestUIFollowsImagesAndRecordsChanges runs the UI on a real engine: images
// imported and deleted by another engine on the same root (another berth
// process) appear in and leave the Images panel, and the networks and
// volumes the UI creates and removes are recorded in the events log, so that
// other processes see them.
func TestUIFollowsImagesAndRecordsChanges(t *testing.T) {
	e := realEngine(t)
	other, err := engine.New(engine.Options{Root: e.Root(),
		MonitorPath: filepath.Join(binDir, "berth-monitor"), InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{Model: New(ctx, e, Options{})}
	tm := teatest.NewTestModel(t, rec, teatest.WithInitialTermSize(120, 40))
	tm.Send(press("2"))
	screenHas(t, rec, "Images 1", "busybox")
	if _, err := other.Images().Import(ctx, bytes.NewReader(rootfsTar(t)), "elsewhere:v1"); err != nil {
		t.Fatal(err)
	}
	screenHas(t, rec, "Images 2", "elsewhere:v1")
	if _, err := other.Images().Remove(ctx, "elsewhere:v1", false, nil); err != nil {
		t.Fatal(err)
	}
	screenHas(t, rec, "Images 1", "untag elsewhere:v1")

	networkRoundTrip(t, tm, rec, e)
	volumeRoundTrip(t, tm, rec, e)
	tm.Send(press("q"))
	tm.WaitFinished(t)
}

// sendText sends each character of s as a key press.
func sendText(tm *teatest.TestModel, s string) {
	for _, k := range strings.Split(s, "") {
		tm.Send(press(k))
	}
}

// networkRoundTrip creates and removes a network from the Networks panel and
// checks that both changes are in the events log.
func networkRoundTrip(t *testing.T, tm *teatest.TestModel, rec *recorder, e *engine.Engine) {
	t.Helper()
	tm.Send(press("3"))
	screenHas(t, rec, "Networks")
	tm.Send(press("n"))
	sendText(tm, "tuinet")
	tm.Send(press("enter"))
	screenHas(t, rec, "created network tuinet")
	if !hasEvent(t, e, "network", "create", "tuinet") {
		t.Error("the UI's network create left no event")
	}
	tm.Send(press("/"))
	sendText(tm, "tuinet")
	tm.Send(press("enter"))
	tm.Send(press("d"))
	screenHas(t, rec, "Remove network tuinet?")
	tm.Send(press("y"))
	screenHas(t, rec, "destroy tuinet")
	if !hasEvent(t, e, "network", "destroy", "tuinet") {
		t.Error("the UI's network rm left no event")
	}

}

// volumeRoundTrip creates and removes a volume from the Volumes panel and
// checks that both changes are in the events log.
func volumeRoundTrip(t *testing.T, tm *teatest.TestModel, rec *recorder, e *engine.Engine) {
	t.Helper()
	tm.Send(press("4"))
	screenHas(t, rec, "Volumes 0")
	tm.Send(press("n"))
	sendText(tm, "tuivol")
	tm.Send(press("enter"))
	screenHas(t, rec, "Volumes 1", "created volume tuivol")
	if !hasEvent(t, e, "volume", "create", "tuivol") {
		t.Error("the UI's volume create left no event")
	}
	tm.Send(press("d"))
	screenHas(t, rec, "Remove volume tuivol?")
	tm.Send(press("y"))
	screenHas(t, rec, "Volumes 0", "destroy tuivol")
	if !hasEvent(t, e, "volume", "destroy", "tuivol") {
		t.Error("the UI's volume rm left no event")
	}
}
