package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"berth/engine/logfile"
)

// rfc3339NanoFixed is the time format of `docker logs -t`: nanoseconds
// always nine digits, so that lines align.
const rfc3339NanoFixed = "2006-01-02T15:04:05.000000000Z07:00"

// containerLogs is GET /containers/{id}/logs: the container's log in
// Docker's multiplexed framing (raw for a container with a TTY), followed
// with follow=1 until the container stops or the client leaves.
func (s *Server) containerLogs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	stdout, stderr := queryBool(q, "stdout"), queryBool(q, "stderr")
	if !stdout && !stderr {
		return badRequest("Bad parameters: you must choose at least one stream")
	}
	o, err := logReadOptions(q.Get("since"), q.Get("until"), q.Get("tail"))
	if err != nil {
		return err
	}
	o.Follow = queryBool(q, "follow")
	timestamps := queryBool(q, "timestamps")
	c, err := s.eng.Inspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	ents, errs, err := s.eng.Logs(ctx, c.ID, o)
	if err != nil {
		return err
	}
	done, err := s.track()
	if err != nil {
		return err
	}
	defer done()
	ct := rawStream
	if !c.Config.Tty && !versionLess(apiVersion(r), "1.42") {
		ct = multiplexedStream
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	out := flushWriter{w: w}
	if f, ok := w.(http.Flusher); ok {
		f.Flush() // a follow of a silent container shows its headers now
	}
	var outW, errW io.Writer = out, out
	if !c.Config.Tty {
		mu := &sync.Mutex{}
		outW, errW = &muxWriter{w: out, stream: 1, mu: mu}, &muxWriter{w: out, stream: 2, mu: mu}
	}
	if err := writeLogs(ents, outW, errW, stdout, stderr, timestamps); err != nil {
		cancel()
		drain(ents)
	}
	for err := range errs {
		var corrupt *logfile.CorruptLineError
		if !errors.As(err, &corrupt) && s.log != nil && ctx.Err() == nil {
			s.log.Printf("logs of %s: %v", strings.TrimPrefix(c.Name, "/"), err)
		}
	}
	return nil
}

// writeLogs writes log entries of the streams asked for until the entries
// end or a write fails.
func writeLogs(ents <-chan logfile.Entry, outW, errW io.Writer, stdout, stderr, timestamps bool) error {
	for e := range ents {
		dst := outW
		if e.Stream == "stderr" {
			if !stderr {
				continue
			}
			dst = errW
		} else if !stdout {
			continue
		}
		line := e.Line
		if timestamps {
			line = append([]byte(e.Time.UTC().Format(rfc3339NanoFixed)+" "), line...)
		}
		if _, err := dst.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// logReadOptions reads the since, until and tail parameters of a logs
// request.
func logReadOptions(since, until, tail string) (logfile.ReadOptions, error) {
	o := logfile.ReadOptions{Tail: -1}
	var err error
	if o.Since, err = parseUnixTimestamp(since); err != nil {
		return o, badRequest("invalid since %q: %v", since, err)
	}
	if o.Until, err = parseUnixTimestamp(until); err != nil {
		return o, badRequest("invalid until %q: %v", until, err)
	}
	// As dockerd: a tail that is not a number ("all", "abc") or is negative
	// means every line.
	if n, err := strconv.Atoi(strings.TrimSpace(tail)); err == nil && n >= 0 {
		o.Tail = n
	}
	return o, nil
}

// parseUnixTimestamp parses a UNIX time as the API carries it: seconds,
// optionally with a fraction of up to nine digits ("1700000000.5"). Empty
// and zero mean no bound (the zero time).
func parseUnixTimestamp(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	secPart, fracPart, hasFrac := strings.Cut(v, ".")
	sec, err := strconv.ParseInt(secPart, 10, 64)
	if err != nil || secPart == "" || secPart[0] == '+' || sec < 0 {
		return time.Time{}, fmt.Errorf("want seconds since the epoch, such as 1700000000.5")
	}
	var nsec int64
	if hasFrac {
		if fracPart == "" || len(fracPart) > 9 || strings.TrimLeft(fracPart, "0123456789") != "" {
			return time.Time{}, fmt.Errorf("want at most nine digits after the point")
		}
		nsec, _ = strconv.ParseInt(fracPart+strings.Repeat("0", 9-len(fracPart)), 10, 64)
	}
	if sec > 1<<40 {
		return time.Time{}, fmt.Errorf("the time is out of range")
	}
	if sec == 0 && nsec == 0 {
		return time.Time{}, nil
	}
	return time.Unix(sec, nsec), nil
}
