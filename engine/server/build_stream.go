package server

import (
	"fmt"
	"strings"
	"sync"

	"berth/images"
	"berth/images/build"
)

// classicStream writes a build's events as the classic builder's JSON
// stream: "Step N/M : INSTRUCTION", " ---> Running in <container>", the
// RUN's output, " ---> <image>", then the result. Events of a RUN's output
// come from another goroutine, hence the lock.
type classicStream struct {
	mu          sync.Mutex
	st          *jsonStream
	quiet       bool
	step, total int
	container   string
}

// send writes one message; a client gone is noticed by the build's
// context, so write errors are dropped here.
func (c *classicStream) send(m imgMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.st.Send(m)
}

func (c *classicStream) line(format string, args ...any) {
	if !c.quiet {
		c.send(imgMessage{Stream: fmt.Sprintf(format, args...)})
	}
}

// header numbers the next step across the whole build.
func (c *classicStream) header(total int, instruction string) {
	c.mu.Lock()
	c.step++
	c.total = max(c.total, total, c.step)
	n, t := c.step, c.total
	c.container = ""
	c.mu.Unlock()
	c.line("Step %d/%d : %s\n", n, t, instruction)
}

// event writes one build event.
func (c *classicStream) event(ev build.Event) {
	switch ev.Kind {
	case build.StageStarted:
		c.header(ev.Total, ev.Instruction)
		if ev.Image != "" {
			c.line(" ---> %s\n", shortImageID(ev.Image))
		}
	case build.StepStarted:
		c.header(0, ev.Instruction)
	case build.StepContainer:
		c.mu.Lock()
		c.container = ev.Container
		c.mu.Unlock()
		c.line(" ---> Running in %s\n", shortImageID(ev.Container))
	case build.StepOutput:
		c.line("%s\n", ev.Output)
	case build.StepCached:
		c.line(" ---> Using cache\n")
		c.line(" ---> %s\n", shortImageID(ev.Image))
	case build.StepDone:
		c.mu.Lock()
		ctr := c.container
		c.mu.Unlock()
		if ctr != "" {
			c.line(" ---> Removed intermediate container %s\n", shortImageID(ctr))
		}
		if ev.Image != "" {
			c.line(" ---> %s\n", shortImageID(ev.Image))
		}
	case build.Warning:
		c.line("[Warning] %s\n", ev.Output)
	}
}

// finish writes the result: the image's ID as aux data, then "Successfully
// built" and a "Successfully tagged" for each tag (the bare ID with q).
func (c *classicStream) finish(id string, tags []string) {
	c.send(imgMessage{Aux: map[string]string{"ID": id}})
	if c.quiet {
		c.send(imgMessage{Stream: id + "\n"})
		return
	}
	c.line("Successfully built %s\n", shortImageID(id))
	for _, t := range tags {
		if r, err := images.ParseReference(t); err == nil {
			t = r.Familiar()
		}
		c.line("Successfully tagged %s\n", t)
	}
}

// shortImageID is the 12-digit form docker prints.
func shortImageID(id string) string {
	h := strings.TrimPrefix(id, "sha256:")
	return h[:min(len(h), 12)]
}
