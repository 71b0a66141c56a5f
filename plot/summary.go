// Package plot turns a sweep CSV (package sweep) into plots, drawn with
// gonum.org/v1/plot as SVG and PNG, and an index.html page that shows
// them with a sortable table of the configurations and names the best
// configuration by total cycles.
package plot

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/npusim/npusim/sweep"
)

// Config is one configuration of a sweep, its layers summed up.
type Config struct {
	ID         int
	Name       string
	Rows, Cols int
	Dataflow   string
	// Settings are the configuration columns of the CSV (SRAM sizes,
	// bandwidth, any other swept key), by column name.
	Settings map[string]string

	LayerNames  []string
	LayerCycles []int64
	TotalCycles int64
	StallCycles int64
	// Util is the whole network's utilisation, MACs over PE-cycles (%).
	Util float64
	// DRAMBandwidth is each operand's DRAM words over the network's total
	// cycles (ifmap, filter, ofmap), words per cycle.
	DRAMBandwidth [3]float64
}

// settingColumns are the CSV columns between the configuration's name and
// its layers that the page lists.
func settingColumns(t *sweep.Table) []string {
	start, end := t.Col("pes")+1, t.Col("layer")
	if start <= 0 || end < start {
		return nil
	}
	return slices.DeleteFunc(slices.Clone(t.Header[start:end]), func(c string) bool { return c == "dataflow" })
}

// Summarise groups a sweep table's rows by configuration, in sweep order.
func Summarise(t *sweep.Table) ([]Config, error) {
	need := []string{"config_id", "config", "rows", "cols", "dataflow", "layer", "layer_name", "macs",
		"total_cycles", "stall_cycles", "ifmap_dram_reads", "filter_dram_reads", "ofmap_dram_writes"}
	col := map[string]int{}
	for _, c := range need {
		if col[c] = t.Col(c); col[c] < 0 {
			return nil, fmt.Errorf("sweep table: no %s column", c)
		}
	}
	settings := settingColumns(t)
	var out []Config
	var macs []int64
	for n, r := range t.Records {
		var err error
		num := func(c string) int64 {
			v, perr := strconv.ParseInt(r[col[c]], 10, 64)
			if perr != nil && err == nil {
				err = fmt.Errorf("sweep table line %d: %s %q is not an integer", n+2, c, r[col[c]])
			}
			return v
		}
		id := int(num("config_id"))
		if len(out) == 0 || out[len(out)-1].ID != id {
			c := Config{ID: id, Name: r[col["config"]], Rows: int(num("rows")), Cols: int(num("cols")),
				Dataflow: r[col["dataflow"]], Settings: map[string]string{}}
			for _, s := range settings {
				c.Settings[s] = r[t.Col(s)]
			}
			out = append(out, c)
			macs = append(macs, 0)
		}
		cfg := &out[len(out)-1]
		cfg.LayerNames = append(cfg.LayerNames, r[col["layer_name"]])
		cyc := num("total_cycles")
		cfg.LayerCycles = append(cfg.LayerCycles, cyc)
		cfg.TotalCycles += cyc
		cfg.StallCycles += num("stall_cycles")
		macs[len(macs)-1] += num("macs")
		for op, c := range []string{"ifmap_dram_reads", "filter_dram_reads", "ofmap_dram_writes"} {
			cfg.DRAMBandwidth[op] += float64(num(c))
		}
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sweep table: no rows")
	}
	for i := range out {
		c := &out[i]
		if c.TotalCycles > 0 {
			c.Util = float64(macs[i]) * 100 / (float64(c.TotalCycles) * float64(c.Rows*c.Cols))
			for op := range 3 {
				c.DRAMBandwidth[op] /= float64(c.TotalCycles)
			}
		}
	}
	return out, nil
}

// Best returns the configuration with the fewest total cycles (the first
// in sweep order among equals).
func Best(cfgs []Config) Config {
	best := cfgs[0]
	for _, c := range cfgs[1:] {
		if c.TotalCycles < best.TotalCycles {
			best = c
		}
	}
	return best
}
