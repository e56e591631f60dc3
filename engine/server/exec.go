package server

import "sync"

// execTable keeps the exec instances clients created and have not yet seen
// end, as dockerd keeps them.
type execTable struct {
	mu sync.Mutex
}

func newExecTable() *execTable { return &execTable{} }

// execRoutes registers the exec endpoints.
func (s *Server) execRoutes() {}
