package config

import (
	"github.com/npusim/npusim/internal/py"
	"github.com/npusim/npusim/multicore"
)

// secMulticore is the optional section that makes the NPU multi-core (see
// docs/multicore.md).
const secMulticore = "multicore"

// maxCores bounds [multicore] Cores.
const maxCores = 1024

// MulticoreConfig is the [multicore] section. Cores 0 or 1 (or no
// section) is today's single-core NPU.
type MulticoreConfig struct {
	Cores     int
	Partition multicore.Partition
	// Grid is CoreRows x CoreCols: output-row parts x filter parts, the
	// split of Partition = grid.
	Grid multicore.Split
}

// multicoreSection reads the optional [multicore] section into
// cfg.Multicore: Cores (required), Partition (filters, pixels, auto or
// grid; default filters, or grid when CoreRows and CoreCols are given) and
// CoreRows, CoreCols (both or neither; their product is Cores).
func (p *cfgParser) multicoreSection(cfg *Config) error {
	if !p.sections[secMulticore] {
		return nil
	}
	mc := &cfg.Multicore
	cores, err := p.intKey(secMulticore, "Cores", 1, maxCores)
	if err != nil {
		return err
	}
	mc.Cores = int(cores)
	var grid [2]int64
	n := 0
	for i, key := range []string{"CoreRows", "CoreCols"} {
		if _, ok := p.get(secMulticore, key); !ok {
			continue
		}
		if grid[i], err = p.intKey(secMulticore, key, 1, maxCores); err != nil {
			return err
		}
		n++
	}
	switch {
	case n == 1:
		return p.errf("[%s] CoreRows and CoreCols go together: give both or neither", secMulticore)
	case n == 2 && grid[0]*grid[1] != cores:
		return p.keyErrf(secMulticore, "CoreCols", "CoreRows x CoreCols is %d x %d = %d cores, but Cores is %d", grid[0], grid[1], grid[0]*grid[1], cores)
	case n == 2:
		mc.Partition, mc.Grid = multicore.Grid, multicore.Split{Pixels: int(grid[0]), Filters: int(grid[1])}
	}
	if v, ok := p.get(secMulticore, "Partition"); ok {
		part, err := multicore.ParsePartition(py.Strip(v))
		if err != nil {
			return p.keyErrf(secMulticore, "Partition", "%v", err)
		}
		if (part == multicore.Grid) != (n == 2) {
			return p.keyErrf(secMulticore, "Partition", "grid needs CoreRows and CoreCols, and they need grid (got %s)", part)
		}
		mc.Partition = part
	}
	return nil
}
