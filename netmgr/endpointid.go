package netmgr

// EndpointID is the endpoint's ID as inspect shows it (a container's
// NetworkSettings and a network's Containers agree on it): the container's
// short ID and the interface name in its namespace.
func (ep Endpoint) EndpointID() string {
	id := ep.ContainerID
	if len(id) > 12 {
		id = id[:12]
	}
	return id + "-" + ep.IfName
}
