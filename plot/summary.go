// Package plot turns a sweep CSV (package sweep) into plots, drawn with
// gonum.org/v1/plot as SVG and PNG, and an index.html page that shows
// them with a sortable table of the configurations and names the best
// configuration by total cycles.
package plot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/npusim/npusim/sweep"
)

// Config is one configuration of a sweep, its layers summed up.
type Config struct {
	ID int
	// Name is the configuration's folder name ("16x256_os"); Label names
	// it with its keys ("16x256 Dataflow=os"): the array shape, then each
	// setting that varies in the sweep as KEY=VALUE.
	Name, Label string
	// Rows and Cols are one core's array; PEs counts every core's PEs.
	Rows, Cols, PEs int
	Dataflow        string
	// Settings are the configuration columns of the CSV (SRAM sizes,
	// bandwidth, any other swept key), by column name.
	Settings map[string]string

	LayerNames  []string
	LayerCycles []int64
	TotalCycles int64
	StallCycles int64
	// Util is the whole network's utilization, MACs over PE-cycles of
	// all PEs (%).
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
			c.PEs = c.Rows * c.Cols
			if pes := t.Col("pes"); pes >= 0 {
				v, perr := strconv.Atoi(r[pes])
				if perr != nil || v <= 0 {
					return nil, fmt.Errorf("sweep table line %d: pes %q is not a positive integer", n+2, r[pes])
				}
				c.PEs = v
			}
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
			c.Util = float64(macs[i]) * 100 / (float64(c.TotalCycles) * float64(c.PEs))
			for op := range 3 {
				c.DRAMBandwidth[op] /= float64(c.TotalCycles)
			}
		}
	}
	labels(out, settings)
	return out, nil
}

// settingKeys are the config keys of the CSV's configuration columns;
// other columns are swept keys under their own names.
var settingKeys = map[string]string{"ifmap_sram_kb": "IfmapSramSzkB", "filter_sram_kb": "FilterSramSzkB",
	"ofmap_sram_kb": "OfmapSramSzkB", "bandwidth_mode": "InterfaceBandwidth", "bandwidth": "Bandwidth"}

// keyOf is the config key a configuration column shows.
func keyOf(col string) string {
	if k, ok := settingKeys[col]; ok {
		return k
	}
	return col
}

// labels names each configuration with what varies in the sweep: its
// array shape, then Dataflow and the other settings as KEY=VALUE, in the
// CSV's column order. A sweep of one configuration keeps its name.
func labels(cfgs []Config, settings []string) {
	varies := func(f func(Config) string) bool {
		for _, c := range cfgs {
			if f(c) != f(cfgs[0]) {
				return true
			}
		}
		return false
	}
	shape := varies(func(c Config) string { return fmt.Sprintf("%dx%d", c.Rows, c.Cols) })
	dataflow := varies(func(c Config) string { return c.Dataflow })
	var vary []string
	for _, s := range settings {
		if varies(func(c Config) string { return c.Settings[s] }) {
			vary = append(vary, s)
		}
	}
	for i := range cfgs {
		c := &cfgs[i]
		var parts []string
		if shape {
			parts = append(parts, fmt.Sprintf("%dx%d", c.Rows, c.Cols))
		}
		if dataflow {
			parts = append(parts, "Dataflow="+c.Dataflow)
		}
		for _, s := range vary {
			parts = append(parts, keyOf(s)+"="+c.Settings[s])
		}
		c.Label = strings.Join(parts, " ")
		if c.Label == "" {
			c.Label = c.Name
		}
	}
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
