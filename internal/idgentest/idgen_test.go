// Package idgentest checks that importing npusim leaves akita's ID
// generator unchosen, so that a program can still pick the parallel one.
// It is a package of its own because the choice can be made once per
// process, before any ID is generated.
package idgentest

import (
	"testing"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/systolic"
	"github.com/npusim/npusim/topology"
	"github.com/sarchlab/akita/v3/sim"
)

var _ = topology.Conv // imported for its package initialisation

func TestParallelIDGeneratorCanBeChosen(t *testing.T) {
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("sim.UseParallelIDGenerator panicked after importing npusim: %v", r)
		}
	}()
	sim.UseParallelIDGenerator()
	acc := components.MakeBuilder().WithEngine(sim.NewSerialEngine()).WithArray(4, 4).Build("NPU")
	res, err := acc.RunLayer(0, systolic.GEMM("g", 8, 8, 8))
	if err != nil {
		t.Fatal(err)
	}
	if res.TotalCycles == 0 {
		t.Fatal("the layer took no cycles")
	}
}
