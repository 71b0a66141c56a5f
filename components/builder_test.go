package components_test

import (
	"strings"
	"testing"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
)

func TestRunLayerRejectsBadGeometry(t *testing.T) {
	acc := components.NewAcceleratorBuilder().WithEngine(sim.NewSerialEngine()).Build("NPU")
	cases := []struct {
		layer systolic.Layer
		want  string
	}{
		{systolic.GEMM("empty", 0, 4, 4), "layer 0 (empty): IFMAP Height must be positive, got 0"},
		{systolic.Layer{Name: "big", H: 3, W: 8, Fh: 5, Fw: 3, Ch: 1, N: 1, Sh: 1, Sw: 1},
			"layer 0 (big): Filter Height 5 is larger than IFMAP Height 3"},
		{systolic.Layer{Name: "s0", H: 8, W: 8, Fh: 3, Fw: 3, Ch: 1, N: 1, Sh: 0, Sw: 1},
			"layer 0 (s0): Strides must be positive, got 0"},
	}
	for _, c := range cases {
		_, err := acc.RunLayer(0, c.layer)
		if err == nil || err.Error() != c.want {
			t.Errorf("RunLayer(%s) error = %v, want %q", c.layer.Name, err, c.want)
		}
	}
	// the accelerator is still usable after rejecting layers
	if _, err := acc.RunLayer(1, systolic.GEMM("ok", 8, 8, 8)); err != nil {
		t.Fatalf("valid layer after rejected ones: %v", err)
	}
}

func TestBuildPanicsOnImpossibleConfig(t *testing.T) {
	cases := map[string]components.Builder{
		"array must be at least 1x1": components.NewAcceleratorBuilder().WithEngine(sim.NewSerialEngine()).WithArray(0, 4),
		"FILTER buffer size must be": components.NewAcceleratorBuilder().WithEngine(sim.NewSerialEngine()).WithSRAMKB(1, 0, 1),
		"needs an engine":            components.NewAcceleratorBuilder(),
		"bandwidth must be >= 0":     components.NewAcceleratorBuilder().WithEngine(sim.NewSerialEngine()).WithBandwidth(-1),
	}
	for want, b := range cases {
		func() {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, want) {
					t.Errorf("Build panic = %v, want it to mention %q", r, want)
				}
			}()
			b.Build("NPU")
		}()
	}
}
