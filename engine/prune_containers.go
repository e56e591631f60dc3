package engine

import "context"

// PruneContainers removes the containers that do not run and match f (the
// Docker Engine API's container prune with its until and label filters).
// What was removed before an error is in the report.
func (e *Engine) PruneContainers(ctx context.Context, f PruneFilters) (PruneReport, error) {
	var rep SystemPruneReport
	err := e.pruneContainers(ctx, f, &rep)
	return PruneReport{ContainersDeleted: rep.ContainersDeleted, SpaceReclaimed: rep.SpaceReclaimed}, err
}
