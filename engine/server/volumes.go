package server

// volumeRoutes registers the volumes endpoints.
func (s *Server) volumeRoutes() {}
