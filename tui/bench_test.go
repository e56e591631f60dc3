package tui

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"berth/engine"
)

// manyContainers is 1,000 containers, 50 of them running.
func manyContainers() []*engine.Container {
	cs := make([]*engine.Container, 1000)
	for i := range cs {
		status, up := "exited", time.Duration(i)*time.Minute
		if i%20 == 0 {
			status = "running"
		}
		cs[i] = fakeContainer(i, fmt.Sprintf("svc-%04d", i), "busybox", status, i%256, up)
	}
	return cs
}

func newBenchModel(b *testing.B, cs []*engine.Container) *Model {
	f := newFakeEngine(b)
	f.cs = cs
	m := New(context.Background(), f, Options{Now: func() time.Time { return testNow }})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	return m
}

// BenchmarkFirstFrame measures the UI's share of the time to the first full
// frame with 1,000 containers: the list result handed to the model, the
// detail pane set up and the frame drawn (the engine's List is not included).
func BenchmarkFirstFrame(b *testing.B) {
	cs := manyContainers()
	for b.Loop() {
		m := newBenchModel(b, cs)
		m.Update(containersMsg{cs: cs})
		_ = m.Render()
	}
}

// latency runs step (one keypress handled and the frame drawn) b.N times and
// reports p50 and p99 in microseconds.
func latency(b *testing.B, m *Model, step func(i int)) {
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		step(i)
		_ = m.Render()
		d = append(d, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkMoveSelection is keypress-to-frame for j/k over 1,000 containers
// with live stats for the 50 running ones (the log stream a move starts is
// not run: its command is returned, as in the program).
func BenchmarkMoveSelection(b *testing.B) {
	cs := manyContainers()
	m := newBenchModel(b, cs)
	m.Update(containersMsg{cs: cs})
	var batch []engine.StatsSample
	for _, c := range cs {
		if c.State.Running {
			batch = append(batch, engine.StatsSample{ID: c.ID, CPUPercent: 12.5, MemUsage: 1 << 20})
		}
	}
	for range 30 {
		m.Update(statsMsg{batch})
	}
	keys := []tea.KeyPressMsg{press("j"), press("k"), press("j"), press("j")}
	latency(b, m, func(i int) { m.Update(keys[i%len(keys)]) })
}

// BenchmarkFilterKeystroke is keypress-to-frame while typing a fuzzy filter
// over 1,000 containers (each keystroke re-filters and redraws).
func BenchmarkFilterKeystroke(b *testing.B) {
	cs := manyContainers()
	m := newBenchModel(b, cs)
	m.Update(containersMsg{cs: cs})
	m.Update(press("/"))
	text := []string{"s", "v", "c", "0", "1"}
	latency(b, m, func(i int) {
		if i%(len(text)+1) == len(text) {
			m.Update(tea.KeyPressMsg{Code: tea.KeyBackspace})
			m.filter.SetValue("")
			m.applyFilter("")
			return
		}
		m.Update(press(text[i%(len(text)+1)]))
	})
}

// BenchmarkRealFirstFrame is the time from start to the first full frame on
// a real engine holding 1,000 containers (50 running): engine.List plus the
// UI's first frame. It needs root and BERTH_BENCH_1000=1 (creating the
// containers takes a while).
func BenchmarkRealFirstFrame(b *testing.B) {
	if binDir == "" || os.Getenv("BERTH_BENCH_1000") == "" {
		b.Skip("needs root and BERTH_BENCH_1000=1")
	}
	e := realEngineB(b)
	ctx := context.Background()
	for i := range 1000 {
		c, err := e.Create(ctx, engine.CreateOptions{Name: fmt.Sprintf("svc-%04d", i),
			Config: engine.Config{Image: "busybox", Cmd: []string{"sleep", "1000"}}})
		if err != nil {
			b.Fatal(err)
		}
		if i%20 == 0 {
			if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		m := New(ctx, e, Options{})
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		msg := listContainers(ctx, e)()
		m.Update(msg)
		if frame := m.Render(); !strings.Contains(frame, "svc-0999") {
			b.Fatal("first frame lacks the newest container")
		}
	}
}
