package logs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"berth/engine/logfile"
	"berth/views"
)

func entry(stream, line string) logfile.Entry {
	return logfile.Entry{Stream: stream, Line: []byte(line + "\n"), Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func press(s string) tea.KeyPressMsg {
	if s == "enter" {
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	}
	return tea.KeyPressMsg{Code: []rune(s)[0], Text: s}
}

func frame(m *Model, w, h int) string {
	return ansi.Strip(m.View(views.NewTheme(true), w, h, true))
}

func TestBufferIsBounded(t *testing.T) {
	m := New()
	m.Reset("c")
	for i := 0; i < Capacity+2500; i += 500 {
		batch := make([]logfile.Entry, 500)
		for j := range batch {
			batch[j] = entry("stdout", fmt.Sprintf("line %d", i+j))
		}
		m.Append(batch)
	}
	if m.Len() != Capacity || m.Dropped() != 2500 {
		t.Fatalf("len %d dropped %d, want %d and 2500", m.Len(), m.Dropped(), Capacity)
	}
	f := frame(&m, 60, 6)
	for _, want := range []string{"(2500 dropped)", fmt.Sprintf("line %d", Capacity+2499), "following"} {
		if !strings.Contains(f, want) {
			t.Errorf("frame lacks %q:\n%s", want, f)
		}
	}
}

func TestHugeLineIsCut(t *testing.T) {
	m := New()
	m.Append([]logfile.Entry{entry("stdout", strings.Repeat("x", 1<<20)), entry("stderr", "after")})
	if n := len(m.r.at(0).Text); n > MaxLineBytes+64 {
		t.Fatalf("stored %d bytes of a 1 MiB line", n)
	}
	for _, wrap := range []bool{false, true} {
		m.wrap = wrap
		f := frame(&m, 80, 10)
		for i, l := range strings.Split(f, "\n") {
			if w := ansi.StringWidth(l); w != 80 {
				t.Fatalf("wrap=%v: line %d is %d wide", wrap, i, w)
			}
		}
		if !strings.Contains(f, "after") {
			t.Errorf("wrap=%v: the next line is not shown:\n%s", wrap, f)
		}
	}
	if !strings.Contains(m.r.at(0).Text, "bytes cut]") {
		t.Error("cut line is not marked")
	}
}

func TestSearchFilterAndKeys(t *testing.T) {
	m := New()
	m.Reset("c")
	var batch []logfile.Entry
	for i := 0; i < 50; i++ {
		batch = append(batch, entry("stdout", fmt.Sprintf("line %d", i)))
		if i%10 == 0 {
			batch = append(batch, entry("stderr", fmt.Sprintf("ERROR %d", i)))
		}
	}
	m.Append(batch)
	for _, k := range []string{"/", "e", "r", "r", "o", "r", "enter"} {
		m, _, _ = m.Update(press(k))
	}
	if len(m.matches) != 5 || m.cur != 4 {
		t.Fatalf("matches %v cur %d", m.matches, m.cur)
	}
	m, _, _ = m.Update(press("n"))
	if m.cur != 0 {
		t.Errorf("n wraps to the first match, cur %d", m.cur)
	}
	m, _, _ = m.Update(press("N"))
	m, _, _ = m.Update(press("f"))
	f := frame(&m, 70, 12)
	if strings.Contains(f, "line 3") || !strings.Contains(f, "ERROR 40") || !strings.Contains(f, "filtered") {
		t.Errorf("filter shows other lines:\n%s", f)
	}
	m, _, _ = m.Update(press("t"))
	if f := frame(&m, 50, 12); !strings.Contains(f, "03:04:05.000") {
		t.Errorf("timestamps missing:\n%s", f)
	}
	m, _, _ = m.Update(press("s"))
	if !m.follow {
		t.Error("s turns autoscroll back on")
	}
	m.Update(press("f"))
	if _, _, used := m.Update(press("x")); used {
		t.Error("x is not a log key")
	}
}

func TestSanitizeDropsEscapes(t *testing.T) {
	m := New()
	m.Append([]logfile.Entry{entry("stdout", "\x1b[2J\x1b[31mred\x1b[0m\tend\x07")})
	if got := m.r.at(0).Text; got != "red    end" {
		t.Errorf("sanitised line %q", got)
	}
}
