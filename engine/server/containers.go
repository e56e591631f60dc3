package server

// containerRoutes registers the containers endpoints.
func (s *Server) containerRoutes() {}
