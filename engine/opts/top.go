package opts

import (
	"fmt"
	"path"
	"strings"
	"time"

	"berth/engine"
)

// topEnv is what column values need besides the process.
type topEnv struct {
	now      time.Time
	memTotal uint64
}

// psColumn is one column of berth top: its header and how to show a process.
type psColumn struct {
	header string
	value  func(p engine.Process, env topEnv) string
}

// psKeywords maps ps(1) -o keywords to the columns berth can produce.
var psKeywords = map[string]psColumn{
	"pid":   {"PID", func(p engine.Process, _ topEnv) string { return fmt.Sprint(p.PID) }},
	"ppid":  {"PPID", func(p engine.Process, _ topEnv) string { return fmt.Sprint(p.PPID) }},
	"user":  {"USER", func(p engine.Process, _ topEnv) string { return p.User }},
	"uid":   {"UID", func(p engine.Process, _ topEnv) string { return fmt.Sprint(p.UID) }},
	"comm":  {"COMMAND", func(p engine.Process, _ topEnv) string { return comm(p.Command) }},
	"args":  {"COMMAND", func(p engine.Process, _ topEnv) string { return p.Command }},
	"cmd":   {"CMD", func(p engine.Process, _ topEnv) string { return p.Command }},
	"c":     {"C", func(p engine.Process, _ topEnv) string { return fmt.Sprint(int(p.CPUPercent)) }},
	"%cpu":  {"%CPU", func(p engine.Process, _ topEnv) string { return fmt.Sprintf("%.1f", p.CPUPercent) }},
	"%mem":  {"%MEM", memPercent},
	"vsz":   {"VSZ", func(p engine.Process, _ topEnv) string { return fmt.Sprint(p.VSZ / 1024) }},
	"rss":   {"RSS", func(p engine.Process, _ topEnv) string { return fmt.Sprint(p.RSS / 1024) }},
	"stat":  {"STAT", bsdStat},
	"s":     {"S", func(p engine.Process, _ topEnv) string { return p.State }},
	"time":  {"TIME", func(p engine.Process, _ topEnv) string { return clock(p.CPUTime, true) }},
	"etime": {"ELAPSED", func(p engine.Process, env topEnv) string { return clock(env.now.Sub(p.Started), false) }},
	"stime": {"STIME", func(p engine.Process, env topEnv) string { return startTime(p.Started, env.now) }},
	"start": {"STARTED", func(p engine.Process, env topEnv) string { return startTime(p.Started, env.now) }},
	"tty":   {"TT", func(engine.Process, topEnv) string { return "?" }},
	// nspid is berth's own: the PID inside the container's PID namespace.
	"nspid": {"NSPID", func(p engine.Process, _ topEnv) string { return fmt.Sprint(p.NSPID) }},
}

// psAliases are other ps names of the keywords above.
var psAliases = map[string]string{
	"euser": "user", "uname": "user", "euid": "uid", "ucomm": "comm", "ucmd": "comm",
	"command": "args", "pcpu": "%cpu", "pmem": "%mem", "vsize": "vsz", "rssize": "rss", "rsz": "rss",
	"state": "s", "cputime": "time", "start_time": "stime", "tt": "tty", "tname": "tty",
}

// Column sets of ps's standard formats: -e, -f (docker top's default -ef),
// BSD "ax" and BSD "u" (aux).
var (
	psDefault = []string{"pid", "tty=TTY", "time", "cmd=CMD/comm"}
	psFull    = []string{"user=UID", "pid", "ppid", "c", "stime", "tty=TTY", "time", "cmd"}
	psBSD     = []string{"pid", "tty=TTY", "stat", "bsdtime", "args"}
	psUser    = []string{"user", "pid", "%cpu", "%mem", "vsz", "rss", "tty=TTY", "stat", "start=START", "bsdtime", "args"}
)

// psColumnFor returns the column of one -o item: "keyword" or "keyword=HEADER".
func psColumnFor(item string) (psColumn, error) {
	kw, header, hasHeader := strings.Cut(item, "=")
	kw = strings.ToLower(strings.TrimSpace(kw))
	switch {
	case kw == "bsdtime":
		return psColumn{"TIME", func(p engine.Process, _ topEnv) string { return bsdTime(p.CPUTime) }}, nil
	case header == "CMD/comm": // ps -e shows the command name under CMD
		c := psKeywords["comm"]
		return psColumn{"CMD", c.value}, nil
	}
	if a, ok := psAliases[kw]; ok {
		kw = a
	}
	c, ok := psKeywords[kw]
	if !ok {
		return psColumn{}, invalid("unsupported ps column %q (known: pid, ppid, user, uid, comm, args, cmd, c, %%cpu, %%mem, vsz, rss, stat, s, time, etime, stime, start, tty, nspid)", kw)
	}
	if hasHeader {
		c.header = header
	}
	return c, nil
}

// ParsePSOptions turns docker top's ps options ("-ef", "aux", "-o pid,comm",
// "-eo pid,user") into columns. Process selection options (-e, -A, a, x) are
// accepted and change nothing: top always lists the container's processes.
func ParsePSOptions(args []string) (PSColumns, error) {
	var full, user, bsd bool
	var items []string
	for i := 0; i < len(args); i++ {
		tok := args[i]
		dash := strings.HasPrefix(tok, "-")
		opts := strings.TrimPrefix(tok, "-")
		if tok == "-" || tok == "" {
			return nil, invalid("unsupported ps option %q", tok)
		}
		bsd = bsd || !dash
		for j, ch := range opts {
			switch {
			case strings.ContainsRune("eAaxd", ch):
			case ch == 'f' && dash:
				full = true
			case ch == 'u' && !dash:
				user = true
			case ch == 'o':
				list := opts[j+1:]
				if list == "" {
					if i+1 >= len(args) {
						return nil, invalid("ps option %q needs a column list", tok)
					}
					i++
					list = args[i]
				}
				items = append(items, strings.Split(list, ",")...)
			default:
				return nil, invalid("unsupported ps option %q in %q", string(ch), tok)
			}
			if ch == 'o' {
				break
			}
		}
	}
	switch {
	case len(items) > 0:
	case user:
		items = psUser
	case full || len(args) == 0:
		items = psFull
	case bsd:
		items = psBSD
	default:
		items = psDefault
	}
	cols := make([]psColumn, 0, len(items))
	for _, it := range items {
		c, err := psColumnFor(it)
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// comm is the command name of a command line: the base name of its first
// word, or the bracketed name of a process without one.
func comm(cmd string) string {
	if strings.HasPrefix(cmd, "[") && strings.HasSuffix(cmd, "]") {
		return cmd[1 : len(cmd)-1]
	}
	first, _, _ := strings.Cut(cmd, " ")
	return path.Base(first)
}

// clock formats a duration as ps's TIME ([DD-]HH:MM:SS) or, with hours false,
// as ELAPSED ([[DD-]HH:]MM:SS).
func clock(d time.Duration, hours bool) string {
	s := int64(max(d, 0) / time.Second)
	days, h, m, sec := s/86400, s/3600%24, s/60%60, s%60
	out := fmt.Sprintf("%02d:%02d", m, sec)
	if hours || h > 0 || days > 0 {
		out = fmt.Sprintf("%02d:", h) + out
	}
	if days > 0 {
		out = fmt.Sprintf("%d-", days) + out
	}
	return out
}

// bsdTime is BSD ps's TIME: minutes:seconds of CPU time.
func bsdTime(d time.Duration) string {
	s := int64(max(d, 0) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// startTime is ps's STIME: the time of day within 24 hours, else month and
// day within the year, else the year.
func startTime(t, now time.Time) string {
	t = t.Local()
	switch {
	case now.Sub(t) < 24*time.Hour:
		return t.Format("15:04")
	case t.Year() == now.Year():
		return t.Format("Jan02")
	}
	return t.Format("2006")
}

func memPercent(p engine.Process, env topEnv) string {
	if env.memTotal == 0 {
		return "0.0"
	}
	return fmt.Sprintf("%.1f", float64(p.RSS)/float64(env.memTotal)*100)
}

// PSColumns are the columns of a docker top table, from ParsePSOptions.
type PSColumns []psColumn

// Table lays out processes in the columns: the titles and one row per
// process. memTotal (the host's memory in bytes) gives %MEM.
func (cols PSColumns) Table(ps []engine.Process, now time.Time, memTotal uint64) ([]string, [][]string) {
	env := topEnv{now: now, memTotal: memTotal}
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.header
	}
	rows := make([][]string, 0, len(ps))
	for _, p := range ps {
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = c.value(p, env)
		}
		rows = append(rows, row)
	}
	return titles, rows
}

// bsdStat is ps's STAT column: the state with procps's BSD flags (the
// state alone when the process gives none, as a recorded one).
func bsdStat(p engine.Process, _ topEnv) string {
	if p.Stat == "" {
		return p.State
	}
	return p.Stat
}
