package apitest_test

import (
	"testing"

	"berth/engine/api"
	"berth/engine/api/apitest"
)

func TestMain(m *testing.M) { apitest.Main(m) }

// TestLocal runs the contract against the in-process engine.
func TestLocal(t *testing.T) {
	apitest.Run(t, func(t *testing.T) api.Engine { return apitest.OpenEngine(t) })
}
