package events

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

// linearEvents decodes every complete line of raw with its offset.
func linearEvents(raw []byte) (offs []int64, evs []Event) {
	off := int64(0)
	for {
		i := bytes.IndexByte(raw[off:], '\n')
		if i < 0 {
			return offs, evs
		}
		if ev, err := Decode(raw[off : off+int64(i)+1]); err == nil {
			offs, evs = append(offs, off), append(evs, ev)
		}
		off += int64(i) + 1
	}
}

// FuzzSeekSince bisects arbitrary files: the offset is always a line start
// within the file, and when the decodable events are in time order no event
// at or after since lies before it.
func FuzzSeekSince(f *testing.F) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var log bytes.Buffer
	for i := 0; i < 40; i++ {
		b, _ := json.Marshal(Event{Time: t0.Add(time.Duration(i) * time.Second), Type: "container", Action: "start", ID: strconv.Itoa(i)})
		log.Write(append(b, '\n'))
		if i%7 == 3 {
			log.WriteString("garbage\n")
		}
	}
	f.Add(log.Bytes(), int64(0))
	f.Add(log.Bytes(), int64(20))
	f.Add(log.Bytes(), int64(39))
	f.Add(log.Bytes(), int64(100))
	f.Add(log.Bytes()[:log.Len()-5], int64(39))
	f.Add([]byte("\n\n{\n"), int64(1))
	f.Add([]byte{}, int64(0))
	f.Fuzz(func(t *testing.T, raw []byte, sinceSec int64) {
		l := Open("unused")
		since := t0.Add(time.Duration(sinceSec%1e6) * time.Second)
		off := l.seekSince(bytes.NewReader(raw), int64(len(raw)), since, 1)
		if off < 0 || off > int64(len(raw)) || off > 0 && raw[off-1] != '\n' {
			t.Fatalf("offset %d is not a line start in %d bytes", off, len(raw))
		}
		offs, evs := linearEvents(raw)
		for i := 1; i < len(evs); i++ {
			if evs[i].Time.Before(evs[i-1].Time) {
				return // not in time order: no promise beyond a line start
			}
		}
		for i, ev := range evs {
			if !ev.Time.Before(since) && offs[i] < off {
				t.Fatalf("event at %d (%v) is at or after since %v but before offset %d", offs[i], ev.Time, since, off)
			}
		}
	})
}
