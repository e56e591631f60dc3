package volumes

import (
	"context"
	"fmt"
)

// References returns, for every container that references a volume, the
// names of the volumes it references (for a consistency check: references
// of containers that no longer exist are leftovers of a killed create).
func (s *Store) References(ctx context.Context) (map[string][]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT container_id, name FROM vol_refs ORDER BY container_id, name`)
	if err != nil {
		return nil, fmt.Errorf("list volume references: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("list volume references: %w", err)
		}
		out[id] = append(out[id], name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list volume references: %w", err)
	}
	return out, nil
}
