package server

// networkRoutes registers the networks endpoints.
func (s *Server) networkRoutes() {}
