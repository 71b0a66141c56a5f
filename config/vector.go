package config

import (
	"sort"
	"strings"

	"github.com/npusim/npusim/internal/py"
	"github.com/npusim/npusim/vector"
)

// secVector is the optional section that adds a vector unit beside the PE
// array (docs/vector.md); SCALE-Sim ignores it.
const secVector = "vector"

// VectorConfig is the [vector] section: the unit's cost model and whether
// activations are fused into their GEMM layer's drain.
type VectorConfig struct {
	vector.Config
	Fuse bool
}

// DefaultVector is the unit a run gets with no [vector] section but vector
// layers to run (npusim -ops all): vector.DefaultConfig, no fusion.
func DefaultVector() *VectorConfig {
	return &VectorConfig{Config: vector.DefaultConfig()}
}

// vectorSection reads the optional [vector] section into cfg.Vector. Its
// keys are Lanes, Latency, Fuse and, to override the cost table, an
// operator's name (Softmax = 4: cycles per element per lane). Any other key
// is an error, so that a misspelt operator is not silently ignored.
func (p *cfgParser) vectorSection(cfg *Config) error {
	if !p.sections[secVector] {
		return nil
	}
	v := DefaultVector()
	ops := map[string]string{} // lower-cased -> canonical
	for _, op := range vector.Ops() {
		ops[strings.ToLower(op)] = op
	}
	keys := make([]string, 0, len(p.raw[secVector]))
	for k := range p.raw[secVector] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "lanes":
			n, err := p.intKey(secVector, "Lanes", 1, 1<<20)
			if err != nil {
				return err
			}
			v.Lanes = int(n)
		case "latency":
			n, err := p.intKey(secVector, "Latency", 0, 1<<20)
			if err != nil {
				return err
			}
			v.Latency = int(n)
		case "fuse":
			s, _ := p.get(secVector, "Fuse")
			switch strings.ToLower(py.Strip(s)) {
			case "true", "yes", "on", "1":
				v.Fuse = true
			case "false", "no", "off", "0":
				v.Fuse = false
			default:
				return p.keyErrf(secVector, "Fuse", "must be true or false, got %q", py.Strip(s))
			}
		default:
			op, ok := ops[k]
			if !ok {
				return p.keyErrf(secVector, k, "unknown key (allowed: Lanes, Latency, Fuse, or an operator's cost: %s)", strings.Join(vector.Ops(), ", "))
			}
			n, err := p.intKey(secVector, op, 1, 1<<10)
			if err != nil {
				return err
			}
			v.Costs[op] = int(n)
		}
	}
	cfg.Vector = v
	return nil
}
