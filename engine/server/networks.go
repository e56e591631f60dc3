package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"

	"berth/engine"
)

// networkRoutes registers the networks endpoints.
func (s *Server) networkRoutes() {
	s.handle("GET /networks", s.networkList)
	s.handle("GET /networks/{id}", s.networkInspect)
	s.handle("POST /networks/create", s.networkCreate)
	s.handle("DELETE /networks/{id}", s.networkRemove)
	s.handle("POST /networks/{id}/connect", s.networkConnect)
	s.handle("POST /networks/{id}/disconnect", s.networkDisconnect)
	s.handle("POST /networks/prune", s.networkPrune)
}

// networkList answers GET /networks?filters=.
func (s *Server) networkList(w http.ResponseWriter, r *http.Request) error {
	f, err := filterArgs(r.URL.Query().Get("filters"))
	if err != nil {
		return err
	}
	ns, err := s.eng.ListNetworks(r.Context(), f)
	if err != nil {
		return err
	}
	out := []network.Summary{}
	for i := range ns {
		out = append(out, network.Summary{Network: networkBase(&ns[i])})
	}
	return writeJSON(w, http.StatusOK, out)
}

// networkBase is a network in Docker's shape, without its containers.
func networkBase(n *engine.Network) network.Network {
	out := network.Network{Name: n.Name, ID: n.ID, Created: n.Created, Scope: "local", Driver: n.Driver,
		EnableIPv4: !n.Builtin(), Internal: n.Internal, Labels: n.Labels, Options: n.DockerOptions(),
		IPAM: network.IPAM{Driver: "default", Options: map[string]string{}, Config: []network.IPAMConfig{}}}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	if !n.Builtin() {
		out.IPAM.Config = []network.IPAMConfig{{Subnet: n.Subnet, Gateway: n.Gateway}}
	}
	return out
}

// networkInspect answers GET /networks/{id} with the containers on it.
func (s *Server) networkInspect(w http.ResponseWriter, r *http.Request) error {
	if sc := r.URL.Query().Get("scope"); sc != "" && sc != "local" {
		return notFound("network %s not found", r.PathValue("id"))
	}
	n, members, err := s.eng.InspectNetwork(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := network.Inspect{Network: networkBase(n), Containers: map[string]network.EndpointResource{}}
	for _, ep := range members {
		name := ""
		if c, err := s.eng.Inspect(r.Context(), ep.ContainerID); err == nil {
			name = strings.TrimPrefix(c.Name, "/")
		}
		res := network.EndpointResource{Name: name, EndpointID: ep.EndpointID()}
		if mac, err := net.ParseMAC(ep.MAC); err == nil {
			res.MacAddress = network.HardwareAddr(mac)
		}
		if ep.IP.IsValid() {
			res.IPv4Address = netip.PrefixFrom(ep.IP, ep.Prefix)
		}
		out.Containers[ep.ContainerID] = res
	}
	return writeJSON(w, http.StatusOK, out)
}

// networkCreate answers POST /networks/create (201 with the new ID).
func (s *Server) networkCreate(w http.ResponseWriter, r *http.Request) error {
	var req network.CreateRequest
	if err := readNetJSON(r, &req); err != nil {
		return err
	}
	if engine.PredefinedNetwork(req.Name) {
		return errdefs.ErrPermissionDenied.WithMessage(fmt.Sprintf("operation is not permitted on predefined %s network", req.Name))
	}
	o, err := networkCreateOptions(&req)
	if err != nil {
		return err
	}
	n, err := s.eng.CreateNetwork(r.Context(), o)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, network.CreateResponse{ID: n.ID})
}

// networkRemove answers DELETE /networks/{id}: 204; 409 with containers on
// it; 403 for the predefined networks, as Docker.
func (s *Server) networkRemove(w http.ResponseWriter, r *http.Request) error {
	ref := r.PathValue("id")
	n, _, err := s.eng.InspectNetwork(r.Context(), ref)
	if err != nil {
		return err
	}
	if engine.PredefinedNetwork(n.Name) {
		return errdefs.ErrPermissionDenied.WithMessage(n.Name + " is a pre-defined network and cannot be removed")
	}
	if err := s.eng.RemoveNetwork(r.Context(), n.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// networkConnect answers POST /networks/{id}/connect.
func (s *Server) networkConnect(w http.ResponseWriter, r *http.Request) error {
	var req network.ConnectRequest
	if err := readNetJSON(r, &req); err != nil {
		return err
	}
	if req.Container == "" {
		return badRequest("no container given to connect: the Container field is empty")
	}
	var want engine.EndpointSettings
	if ec := req.EndpointConfig; ec != nil {
		want.Aliases = ec.Aliases
		if ec.IPAMConfig != nil {
			if ec.IPAMConfig.IPv6Address.IsValid() || len(ec.IPAMConfig.LinkLocalIPs) > 0 {
				return badRequest("IPv6 and link-local endpoint addresses are not supported: berth networks are IPv4 only")
			}
			if a := ec.IPAMConfig.IPv4Address; a.IsValid() {
				want.IPAddress = a.String()
			}
		}
		if len(ec.MacAddress) > 0 {
			want.MacAddress = ec.MacAddress.String()
		}
	}
	if err := s.eng.Connect(r.Context(), r.PathValue("id"), req.Container, want); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// networkDisconnect answers POST /networks/{id}/disconnect. Force changes
// nothing: the engine takes a container off a network whatever its state.
func (s *Server) networkDisconnect(w http.ResponseWriter, r *http.Request) error {
	var req network.DisconnectRequest
	if err := readNetJSON(r, &req); err != nil {
		return err
	}
	if req.Container == "" {
		return badRequest("no container given to disconnect: the Container field is empty")
	}
	if err := s.eng.Disconnect(r.Context(), r.PathValue("id"), req.Container); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// networkPrune answers POST /networks/prune?filters= (until, label, label!).
func (s *Server) networkPrune(w http.ResponseWriter, r *http.Request) error {
	f, err := filterArgs(r.URL.Query().Get("filters"))
	if err != nil {
		return err
	}
	names, err := s.eng.PruneNetworks(r.Context(), f)
	if err != nil {
		return err
	}
	// None removed is null, as dockerd sends it.
	return writeJSON(w, http.StatusOK, network.PruneReport{NetworksDeleted: names})
}
