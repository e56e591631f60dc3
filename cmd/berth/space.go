package main

import (
	"berth/engine"
)

// plainError shows an error of a full filesystem as the one sentence "no
// space left on device", whatever operation and file met it.
func plainError(err error) error {
	if engine.IsNoSpace(err) {
		return engine.NoSpace()
	}
	return err
}
