package logs

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"berth/engine/logfile"
)

// KeyMap is the log pane's keys.
type KeyMap struct {
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
	Search, Next, Prev, Timestamps, Wrap    key.Binding
	Follow, Filter, Clear                   key.Binding
}

// Keys returns the log pane's keys.
func Keys() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up: b("k/↑", "scroll up", "k", "up"), Down: b("j/↓", "scroll down", "j", "down"),
		Top: b("g", "oldest line", "g", "home"), Bottom: b("G", "newest line, follow", "G", "end"),
		PageUp: b("pgup", "page up", "pgup", "ctrl+u"), PageDown: b("pgdn", "page down", "pgdown", "ctrl+d"),
		Search: b("/", "search logs", "/"), Next: b("n", "next match", "n"), Prev: b("N", "previous match", "N"),
		Timestamps: b("t", "timestamps", "t"), Wrap: b("w", "wrap lines", "w"),
		Follow: b("s", "autoscroll", "s"), Filter: b("f", "only matching lines", "f"),
		Clear: b("esc", "clear search", "esc"),
	}
}

// Bindings lists the keys for help.
func (k KeyMap) Bindings() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown, k.Search, k.Next, k.Prev,
		k.Timestamps, k.Wrap, k.Follow, k.Filter, k.Clear}
}

// Model is the log pane.
type Model struct {
	r          ring
	source     string // the container the lines are from
	bottom     int    // absolute sequence number of the last line shown
	follow     bool
	timestamps bool
	wrap       bool
	filterOnly bool
	term       string
	matches    []int // absolute sequence numbers of matching lines
	cur        int   // index into matches
	searching  bool
	input      textinput.Model
	ended      bool
	height     int
	keys       KeyMap
}

// New returns an empty pane that follows new lines.
func New() Model {
	in := textinput.New()
	in.Prompt = "/"
	in.CharLimit = 200
	return Model{r: newRing(Capacity), follow: true, input: in, keys: Keys()}
}

// Reset empties the pane for a new source (a container name).
func (m *Model) Reset(source string) {
	m.r.reset()
	m.source, m.bottom, m.follow, m.ended = source, 0, true, false
	m.matches, m.cur = m.matches[:0], 0
}

// Source returns the source the pane shows.
func (m Model) Source() string { return m.source }

// SetEnded marks the stream as ended (the container stopped).
func (m *Model) SetEnded(ended bool) { m.ended = ended }

// Append adds entries, dropping the oldest lines beyond Capacity.
func (m *Model) Append(entries []logfile.Entry) {
	for _, e := range entries {
		l := NewLine(e)
		seq := m.r.dropped + m.r.n
		m.r.push(l)
		if m.term != "" && m.matchLine(m.r.at(m.r.n-1)) {
			m.matches = append(m.matches, seq)
		}
	}
	first := m.r.dropped
	i := 0
	for i < len(m.matches) && m.matches[i] < first {
		i++
	}
	if i > 0 {
		m.matches = m.matches[i:]
		m.cur = max(m.cur-i, 0)
	}
	if m.follow {
		m.bottom = m.last()
	}
	m.bottom = max(m.bottom, first)
}

// Len is the number of lines held; Dropped how many were dropped.
func (m Model) Len() int { return m.r.n }

// Dropped is how many lines were dropped from the front of the buffer.
func (m Model) Dropped() int { return m.r.dropped }

func (m Model) last() int { return m.r.dropped + m.r.n - 1 }

func (m Model) matchLine(l *Line) bool {
	if l.lower == "" && l.Text != "" {
		l.lower = strings.ToLower(l.Text)
	}
	return strings.Contains(l.lower, strings.ToLower(m.term))
}

// SetSearch sets the search term and finds its matches.
func (m *Model) SetSearch(term string) {
	m.term = term
	m.matches = m.matches[:0]
	m.cur = 0
	if term == "" {
		m.filterOnly = false
		return
	}
	for i := 0; i < m.r.n; i++ {
		if m.matchLine(m.r.at(i)) {
			m.matches = append(m.matches, m.r.dropped+i)
		}
	}
	if len(m.matches) > 0 {
		m.cur = len(m.matches) - 1
		m.jump()
	}
}

// Searching reports whether the search input has the keyboard.
func (m Model) Searching() bool { return m.searching }

func (m *Model) jump() {
	if len(m.matches) == 0 {
		return
	}
	m.follow = false
	m.bottom = min(m.matches[m.cur]+max(m.height/2-1, 0), m.last())
}

// Update handles a key; it reports whether the pane used it.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd, bool) {
	if m.searching {
		if k, ok := msg.(tea.KeyPressMsg); ok {
			switch k.String() {
			case "enter":
				m.searching = false
				m.input.Blur()
				m.SetSearch(m.input.Value())
				return m, nil, true
			case "esc":
				m.searching = false
				m.input.Blur()
				return m, nil, true
			}
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd, true
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil, false
	}
	return m.handleKey(k)
}

func (m Model) handleKey(k tea.KeyPressMsg) (Model, tea.Cmd, bool) {
	km := m.keys
	page := max(m.height-1, 1)
	switch {
	case key.Matches(k, km.Up):
		m.scroll(-1)
	case key.Matches(k, km.Down):
		m.scroll(1)
	case key.Matches(k, km.PageUp):
		m.scroll(-page)
	case key.Matches(k, km.PageDown):
		m.scroll(page)
	case key.Matches(k, km.Top):
		m.follow = false
		m.bottom = min(m.r.dropped+max(m.height-1, 0), m.last())
	case key.Matches(k, km.Bottom):
		m.follow, m.bottom = true, m.last()
	case key.Matches(k, km.Search):
		m.searching = true
		m.input.SetValue(m.term)
		m.input.CursorEnd()
		return m, m.input.Focus(), true
	case key.Matches(k, km.Next), key.Matches(k, km.Prev):
		if n := len(m.matches); n > 0 {
			if key.Matches(k, km.Next) {
				m.cur = (m.cur + 1) % n
			} else {
				m.cur = (m.cur - 1 + n) % n
			}
			m.jump()
		}
	case key.Matches(k, km.Timestamps):
		m.timestamps = !m.timestamps
	case key.Matches(k, km.Wrap):
		m.wrap = !m.wrap
	case key.Matches(k, km.Follow):
		m.follow = !m.follow
		if m.follow {
			m.bottom = m.last()
		}
	case key.Matches(k, km.Filter):
		m.filterOnly = !m.filterOnly && m.term != ""
	case key.Matches(k, km.Clear) && m.term != "":
		m.SetSearch("")
	default:
		return m, nil, false
	}
	return m, nil, true
}

func (m *Model) scroll(n int) {
	if m.filterOnly && len(m.matches) > 0 {
		i := m.matchIndexAtOrBefore(m.bottom) + n
		i = min(max(i, 0), len(m.matches)-1)
		m.bottom = m.matches[i]
	} else {
		m.bottom = min(max(m.bottom+n, m.r.dropped), m.last())
	}
	m.follow = m.bottom >= m.last()
}

func (m Model) matchIndexAtOrBefore(seq int) int {
	i := len(m.matches) - 1
	for i > 0 && m.matches[i] > seq {
		i--
	}
	return i
}
