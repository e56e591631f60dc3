package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"berth/engine"
	"berth/engine/events"
	"berth/engine/logfile"
)

// Messages from the engine and the streams.
type (
	containersMsg struct {
		cs  []*engine.Container
		err error
	}
	imagesMsg struct {
		imgs []engine.Image
		err  error
	}
	eventsStartedMsg struct {
		ch   <-chan events.Event
		errc <-chan error
	}
	eventsMsg struct {
		evs  []events.Event
		ch   <-chan events.Event
		errc <-chan error
		err  error
		done bool
	}
	statsMsg    struct{ batch []engine.StatsSample }
	logStartMsg struct {
		gen  int
		ch   <-chan logfile.Entry
		errc <-chan error
		err  error
	}
	logLinesMsg struct {
		gen     int
		entries []logfile.Entry
		ch      <-chan logfile.Entry
		errc    <-chan error
		done    bool
		err     error
	}
	topMsg struct {
		key   string
		gen   int
		procs []engine.Process
		err   error
	}
	historyMsg struct {
		key     string
		entries []engine.HistoryEntry
		err     error
	}
	hostMsg struct {
		h   engine.HostSample
		err error
	}
	tickMsg struct{}
)

// maxBatch bounds how many events or log lines one message carries.
const maxBatch = 512

func listContainers(ctx context.Context, eng Engine) tea.Cmd {
	return func() tea.Msg {
		cs, err := eng.ListContainers(ctx, engine.ContainerListOptions{All: true})
		return containersMsg{cs, err}
	}
}

func listImages(ctx context.Context, st ImageStore) tea.Cmd {
	return func() tea.Msg {
		imgs, err := st.List(ctx, engine.ImageListOptions{})
		return imagesMsg{imgs, err}
	}
}

// tickerReplay is how far back the events ticker starts.
const tickerReplay = 10 * time.Minute

func subscribeEvents(ctx context.Context, eng Engine, since time.Time) tea.Cmd {
	return func() tea.Msg {
		ch, errc := eng.Subscribe(ctx, events.Filter{Since: since})
		return eventsStartedMsg{ch, errc}
	}
}

// waitEvents waits for one event and takes the ones already queued with it.
func waitEvents(ch <-chan events.Event, errc <-chan error) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return eventsMsg{done: true, err: <-errc}
		}
		evs := []events.Event{ev}
		for len(evs) < maxBatch {
			select {
			case ev, ok := <-ch:
				if !ok {
					return eventsMsg{evs: evs, ch: ch, errc: errc}
				}
				evs = append(evs, ev)
				continue
			default:
			}
			break
		}
		return eventsMsg{evs: evs, ch: ch, errc: errc}
	}
}

// statsErrMsg says the engine cannot stream stats.
type statsErrMsg struct{ err error }

// startStats follows the stats of every running container through the
// engine, one batch a second, handing each batch to out until ctx ends.
func startStats(ctx context.Context, eng Engine, out chan<- []engine.StatsSample) tea.Cmd {
	return func() tea.Msg {
		ch, _, err := eng.Stats(ctx, nil, engine.StatsOptions{Stream: true, Interval: time.Second})
		if err != nil {
			return statsErrMsg{err}
		}
		go func() {
			for batch := range ch {
				samples := make([]engine.StatsSample, 0, len(batch))
				for _, e := range batch {
					s := e.Sample
					s.ID = e.ID
					samples = append(samples, s)
				}
				select {
				case out <- samples:
				case <-ctx.Done():
					return
				}
			}
		}()
		return nil
	}
}

func waitStats(out <-chan []engine.StatsSample) tea.Cmd {
	return func() tea.Msg { return statsMsg{<-out} }
}

// startLogs opens the log stream of container id (the last 1,000 lines, then
// follow) under gen; ctx is cancelled when the selection moves on.
func startLogs(ctx context.Context, eng Engine, gen int, id string) tea.Cmd {
	return func() tea.Msg {
		ch, errc, err := eng.Logs(ctx, id, logfile.ReadOptions{Tail: 1000, Follow: true})
		return logStartMsg{gen: gen, ch: ch, errc: errc, err: err}
	}
}

// waitLogs waits for log lines and takes up to maxBatch queued ones.
func waitLogs(gen int, ch <-chan logfile.Entry, errc <-chan error) tea.Cmd {
	return func() tea.Msg {
		e, ok := <-ch
		if !ok {
			var err error
			select {
			case err = <-errc:
			default:
			}
			return logLinesMsg{gen: gen, done: true, err: err}
		}
		batch := []logfile.Entry{e}
	fill:
		for len(batch) < maxBatch {
			select {
			case e, ok := <-ch:
				if !ok {
					break fill
				}
				batch = append(batch, e)
			default:
				break fill
			}
		}
		return logLinesMsg{gen: gen, entries: batch, ch: ch, errc: errc}
	}
}

func loadTop(ctx context.Context, eng Engine, key string, gen int) tea.Cmd {
	return func() tea.Msg {
		procs, err := eng.Top(ctx, key)
		return topMsg{key: key, gen: gen, procs: procs, err: err}
	}
}

func loadHistory(ctx context.Context, st ImageStore, key string) tea.Cmd {
	return func() tea.Msg {
		h, err := st.History(ctx, key)
		return historyMsg{key: key, entries: h, err: err}
	}
}

func readHostCmd(ctx context.Context, eng Engine) tea.Cmd {
	return func() tea.Msg {
		h, err := eng.HostUsage(ctx)
		return hostMsg{h, err}
	}
}

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{} })
}
