package server

import (
	"encoding/json"
	"net/http"
)

// jsonStream writes a stream of JSON messages (pull and build progress,
// events, stats), each flushed to the client as it is written.
type jsonStream struct {
	w       http.ResponseWriter
	enc     *json.Encoder
	started bool
}

// newJSONStream starts nothing yet: the 200 and its headers go out with the
// first message, so an error before it can still be answered with a status.
func newJSONStream(w http.ResponseWriter) *jsonStream {
	return &jsonStream{w: w, enc: json.NewEncoder(w)}
}

// Start sends the headers now (a stream that may be silent for a while).
func (j *jsonStream) Start() {
	if j.started {
		return
	}
	j.started = true
	j.w.Header().Set("Content-Type", "application/json")
	j.w.WriteHeader(http.StatusOK)
	j.flush()
}

// Started says whether the headers went out: after that, an error is told
// inside the stream, not as a status.
func (j *jsonStream) Started() bool { return j.started }

// Send writes one message and flushes it.
func (j *jsonStream) Send(v any) error {
	j.Start()
	if err := j.enc.Encode(v); err != nil {
		return err
	}
	j.flush()
	return nil
}

func (j *jsonStream) flush() {
	if f, ok := j.w.(http.Flusher); ok {
		f.Flush()
	}
}
