package config

import (
	"strings"
	"testing"

	"github.com/npusim/npusim/vector"
)

func TestVectorSection(t *testing.T) {
	cfg, err := Parse("c.cfg", []byte(baseConfig))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Vector != nil {
		t.Error("no [vector] section, yet a vector unit")
	}
	cfg, err = Parse("c.cfg", []byte(baseConfig+"\n[vector]\nLanes = 64\nlatency: 3\nFuse = true\nsoftmax = 9\nRELU = 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	v := cfg.Vector
	if v == nil || v.Lanes != 64 || v.Latency != 3 || !v.Fuse || v.Costs["Softmax"] != 9 || v.Costs["Relu"] != 2 {
		t.Fatalf("%+v", v)
	}
	if v.Costs["Add"] != vector.DefaultCosts()["Add"] {
		t.Errorf("Add %d: the other costs keep their defaults", v.Costs["Add"])
	}
	cfg, _ = Parse("c.cfg", []byte(baseConfig+"\n[vector]\n"))
	if cfg.Vector == nil || cfg.Vector.Lanes != vector.DefaultLanes || cfg.Vector.Fuse {
		t.Errorf("an empty [vector] section: %+v", cfg.Vector)
	}
	for _, c := range []struct{ body, want string }{
		{"Lanse = 4", "config c.cfg: line 21: [vector] Lanse: unknown key: did you mean Lanes? [vector] takes Lanes, Latency, Fuse, Add,"},
		{"Lanes = 0", "config c.cfg: [vector] Lanes: must be positive, got 0"},
		{"Latency = -1", "config c.cfg: [vector] Latency: must be >= 0, got -1"},
		{"Fuse = maybe", `config c.cfg: [vector] Fuse: must be true or false, got "maybe"`},
		{"Softmax = 0", "config c.cfg: [vector] Softmax: must be positive, got 0"},
		{"Gemm = 3", "config c.cfg: line 21: [vector] Gemm: unknown key: [vector] takes Lanes, Latency, Fuse, Add,"},
	} {
		_, err := Parse("c.cfg", []byte(baseConfig+"\n[vector]\n"+c.body+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.body, err, c.want)
		}
	}
}
