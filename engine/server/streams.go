package server

// streamRoutes registers the streams endpoints.
func (s *Server) streamRoutes() {}
