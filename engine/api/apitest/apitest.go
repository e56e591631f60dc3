// Package apitest is the contract of the engine's API (engine/api): one
// suite of the behaviour front ends rely on — results, states, exit codes,
// output and errors' classes — that every implementation must pass. The
// in-process engine runs it directly; the client of the Docker Engine API
// (engine/client) runs it through engine/server over a unix socket.
package apitest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
	"berth/engine/api"
)

// Case is one behaviour of the contract.
type Case struct {
	Name string
	Run  func(t *testing.T, s *Suite)
}

// Suite is what a case gets: the engine under test and fresh names.
type Suite struct {
	api.Engine
	seq *atomic.Int64
}

// Cases are the contract, in the order Run runs them.
func Cases() []Case {
	var cs []Case
	for _, group := range [][]Case{systemCases(), containerCases(), errorCases(), streamCases(),
		moreCases(), serverCases(), imageCases(), networkCases(), volumeCases(), listCases(), berthCases(), execCases()} {
		cs = append(cs, group...)
	}
	return cs
}

// Run runs every case against one engine that open returns (open gets the
// parent test: what it opens lives until Run's test ends). Each case
// removes what it made.
func Run(t *testing.T, open func(t *testing.T) api.Engine) {
	s := &Suite{Engine: open(t), seq: &atomic.Int64{}}
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) { c.Run(t, s) })
	}
}

// Name is a name no other object of the suite has.
func (s *Suite) Name(kind string) string {
	return fmt.Sprintf("apitest-%s-%d", kind, s.seq.Add(1))
}

// ctx is a test's context: it ends with the test, or after a generous bound
// that only stops a hang (no assertion depends on it).
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// create makes a busybox container running cmd, removed (forced) when the
// test ends.
func (s *Suite) create(t *testing.T, cmd ...string) *engine.Container {
	t.Helper()
	return s.createWith(t, engine.CreateOptions{Name: s.Name("ctr"), Config: engine.Config{Image: "busybox", Cmd: cmd}})
}

func (s *Suite) createWith(t *testing.T, o engine.CreateOptions) *engine.Container {
	t.Helper()
	c, err := s.Create(ctx(t), o)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() {
		err := s.Remove(context.Background(), c.ID, engine.RemoveOptions{Force: true, Volumes: true})
		if err != nil && !errdefs.IsNotFound(err) {
			t.Errorf("remove %s: %v", c.Name, err)
		}
	})
	return c
}

// started is create then start.
func (s *Suite) started(t *testing.T, cmd ...string) *engine.Container {
	t.Helper()
	c := s.create(t, cmd...)
	if err := s.Start(ctx(t), c.ID, engine.StartOptions{}); err != nil {
		t.Fatalf("start: %v", err)
	}
	return c
}

// class names the errdefs class a case expects.
type class struct {
	name string
	is   func(error) bool
}

var (
	notFound        = class{"not found", errdefs.IsNotFound}
	invalidArgument = class{"invalid argument", errdefs.IsInvalidArgument}
	// conflict is Docker's 409, which the engine gives as a conflict or, for
	// a name or object that exists, as already-exists.
	conflict = class{"conflict", func(err error) bool { return errdefs.IsConflict(err) || errdefs.IsAlreadyExists(err) }}
)

// wantClass fails unless err is of class c.
func wantClass(t *testing.T, what string, err error, c class) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s", what, c.name)
	}
	if !c.is(err) {
		t.Fatalf("%s: error %q (%T) is not of class %s", what, err, errors.Unwrap(err), c.name)
	}
}

// wantMissing fails unless err is a not-found error that names ref (a 404
// of a route the server lacks names nothing).
func wantMissing(t *testing.T, what string, err error, ref string) {
	t.Helper()
	wantClass(t, what, err, notFound)
	if !strings.Contains(err.Error(), ref) {
		t.Fatalf("%s: error %q does not name %s", what, err, ref)
	}
}

// ok fails the test on err.
func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
