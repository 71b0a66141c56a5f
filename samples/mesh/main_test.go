package main

import (
	"testing"

	"github.com/sarchlab/akita/v3/sim"
)

// TestMesh runs the four cores on one direct connection and on the mesh:
// the mesh never makes a core faster, every link carries traffic, and the
// four shares add up to the layer: their MACs, and the results the cores
// make (SCALE-Sim's SRAM write count), are those of the whole layer on
// one core.
func TestMesh(t *testing.T) {
	shares := split.Shares(layer, offsets)
	if len(shares) != 4 {
		t.Fatalf("%d shares, want 4", len(shares))
	}
	all := []int{0, 1, 2, 3}
	shared := simulate(shares, all, direct)
	meshed := simulate(shares, all, onMesh)
	for i := range shares {
		if meshed.cycles[i] < shared.cycles[i] {
			t.Errorf("core %d: %d cycles on the mesh, %d on a direct connection", i, meshed.cycles[i], shared.cycles[i])
		}
	}
	if len(meshed.links) != 8 {
		t.Errorf("%d mesh link directions carried flits, want 8 (2x2 mesh)", len(meshed.links))
	}
	for _, l := range meshed.links {
		if l.flits == 0 || l.flits > meshed.span {
			t.Errorf("link %s: %d flits in %d cycles", l.name, l.flits, meshed.span)
		}
	}

	var macs, written int64
	for i, sh := range shares {
		macs += sh.Layer.MACs()
		written += meshed.ofmap[i]
	}
	if macs != layer.MACs() {
		t.Errorf("shares hold %d MACs, the layer %d", macs, layer.MACs())
	}
	whole := core.WithEngine(sim.NewSerialEngine()).WithBandwidth(coreWidth).Build("Whole")
	if _, err := whole.RunLayer(0, layer); err != nil {
		t.Fatal(err)
	}
	if want := whole.Ofmap.Stats().Requests; written != want {
		t.Errorf("the cores made %d ofmap writes, the whole layer on one core %d", written, want)
	}
}
