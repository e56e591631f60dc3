package main

import (
	"berth/engine"
)

// engineToAdd opens the engine for a verb that adds data to the data root
// (pull, load, import, tag, image bootstrap): on a full filesystem it fails
// with "no space left on device" before anything is written. The engine's own
// adding operations (create, volume create …) check by themselves.
func (a *app) engineToAdd() (*engine.Engine, error) {
	e, err := a.engine()
	if err != nil {
		return nil, err
	}
	if err := e.CheckSpace(); err != nil {
		return nil, err
	}
	return e, nil
}

// plainError shows an error of a full filesystem as the one sentence "no
// space left on device", whatever operation and file met it.
func plainError(err error) error {
	if engine.IsNoSpace(err) {
		return engine.NoSpace()
	}
	return err
}
