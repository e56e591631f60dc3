package engine

import "berth/engine/store"

// CheckSpace returns the no-space error (errdefs.ErrResourceExhausted, "no
// space left on device") when the data root's filesystem is full. The engine
// keeps a small reserve of space beside its database (store.ReserveSize) that
// a full filesystem gives back to reading and removing; operations that add
// data (create, pull, load, import, volume and network create) call
// CheckSpace before they write anything, so that they fail whole instead of
// eating the reserve or stopping half-way. Front ends that call the image
// store directly call it too.
func (e *Engine) CheckSpace() error { return e.db.CheckSpace() }

// IsNoSpace reports whether err comes from a full filesystem (ENOSPC from a
// file, SQLITE_FULL from the database, or CheckSpace's error).
func IsNoSpace(err error) bool { return store.IsNoSpace(err) }

// NoSpace is the one plain error front ends show for any IsNoSpace error:
// "no space left on device", class errdefs.ErrResourceExhausted.
func NoSpace() error { return store.NoSpace() }
