package server

import (
	"fmt"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/jsonstream"

	"berth/images"
)

// imgMessage is one message of a pull, push, load or build stream as dockerd
// writes it: moby's jsonstream.Message with the "progress" bar text and the
// "error" string older clients read beside errorDetail.
type imgMessage struct {
	Stream       string               `json:"stream,omitempty"`
	Status       string               `json:"status,omitempty"`
	Progress     *jsonstream.Progress `json:"progressDetail,omitempty"`
	ProgressText string               `json:"progress,omitempty"`
	ID           string               `json:"id,omitempty"`
	Error        *jsonstream.Error    `json:"errorDetail,omitempty"`
	ErrorText    string               `json:"error,omitempty"`
	Aux          any                  `json:"aux,omitempty"`
}

// errorMessage tells an error inside a stream that already started.
func errorMessage(err error) imgMessage {
	return imgMessage{Error: &jsonstream.Error{Message: err.Error()}, ErrorText: err.Error()}
}

// progressMessage is one layer's progress as dockerd sends it.
func progressMessage(p images.Progress) imgMessage {
	m := imgMessage{Status: p.Status, ID: p.ID, Progress: &jsonstream.Progress{}}
	if p.Status == "Downloading" || p.Status == "Pushing" || p.Status == "Extracting" {
		m.Progress = &jsonstream.Progress{Current: p.Current, Total: p.Total}
		m.ProgressText = progressBar(p.Current, p.Total)
	}
	return m
}

// progressBar is the text dockerd puts beside a transfer's numbers:
// "[=====>      ]  1.2MB/3.4MB".
func progressBar(cur, total int64) string {
	if total <= 0 {
		return fmt.Sprintf("%8v", units.HumanSize(float64(cur)))
	}
	const width = 50
	n := int(width * min(max(cur, 0), total) / total)
	bar := strings.Repeat("=", n)
	if n < width {
		bar += ">" + strings.Repeat(" ", width-n-1)
	}
	return fmt.Sprintf("[%s] %8v/%v", bar, units.HumanSize(float64(cur)), units.HumanSize(float64(total)))
}

// pullStream turns a pull's progress events into dockerd's messages: the
// "Pulling from" header before the first one, and each layer's "Pull
// complete" when the store says the image is whole.
type pullStream struct {
	st      *jsonStream
	header  imgMessage
	layers  []string
	status  map[string]string
	fetched bool // a layer was downloaded, not found intact
}

func newPullStream(st *jsonStream, header imgMessage) *pullStream {
	return &pullStream{st: st, header: header, status: map[string]string{}}
}

// send writes the header first; a client gone is noticed by the pull's
// context, so write errors are dropped here.
func (p *pullStream) send(m imgMessage) {
	if !p.st.Started() {
		_ = p.st.Send(p.header)
	}
	_ = p.st.Send(m)
}

// update applies one event.
func (p *pullStream) update(ev images.Progress) {
	p.fetched = p.fetched || ev.Status == "Downloading"
	if _, known := p.status[ev.ID]; !known && ev.Status == "Pull complete" {
		for _, id := range p.layers { // the image is stored: its layers are complete
			if p.status[id] != "Already exists" {
				p.send(imgMessage{Status: "Pull complete", ID: id, Progress: &jsonstream.Progress{}})
			}
		}
		return
	}
	if _, known := p.status[ev.ID]; !known {
		p.layers = append(p.layers, ev.ID)
	}
	p.status[ev.ID] = ev.Status
	p.send(progressMessage(ev))
}
