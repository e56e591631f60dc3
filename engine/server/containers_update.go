package server

import (
	"net/http"

	"github.com/moby/moby/api/types/container"

	"berth/engine"
	"berth/engine/monitor"
	"berth/engine/spec"
)

// updateContainer is POST /containers/{id}/update: the limits and restart
// policy docker update changes; a zero field keeps the current value, as
// in dockerd.
func (s *Server) updateContainer(w http.ResponseWriter, r *http.Request) error {
	var uc container.UpdateConfig
	if err := readJSON(r, &uc); err != nil {
		return err
	}
	o, err := updateOptions(&uc)
	if err != nil {
		return err
	}
	if err := s.eng.Update(r.Context(), r.PathValue("id"), o); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, container.UpdateResponse{Warnings: []string{}})
}

// updateOptions converts an update's body.
func updateOptions(uc *container.UpdateConfig) (engine.UpdateOptions, error) {
	var res spec.Resources
	if err := resourceOptions(&uc.Resources, &res); err != nil {
		return engine.UpdateOptions{}, err
	}
	if len(res.Ulimits) > 0 {
		return engine.UpdateOptions{}, badRequest("Ulimits cannot be updated")
	}
	var o engine.UpdateOptions
	nonZero := func(v int64) *int64 {
		if v == 0 {
			return nil
		}
		return &v
	}
	o.Memory, o.MemorySwap = nonZero(res.Memory), nonZero(res.MemorySwap)
	o.NanoCPUs, o.CPUShares = nonZero(res.NanoCPUs), nonZero(res.CPUShares)
	o.MemoryReservation, o.CPUPeriod, o.CPUQuota = nonZero(res.MemoryReservation), nonZero(res.CPUPeriod), nonZero(res.CPUQuota)
	if res.CpusetCpus != "" {
		o.CpusetCpus = &res.CpusetCpus
	}
	o.PidsLimit = res.PidsLimit
	if rp := uc.RestartPolicy; rp.Name != "" {
		o.Restart = &monitor.RestartPolicy{Name: string(rp.Name), MaximumRetryCount: rp.MaximumRetryCount}
	}
	return o, nil
}
