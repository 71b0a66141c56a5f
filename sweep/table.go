package sweep

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/systolic"
)

// Table is a tidy sweep CSV: one record per configuration and layer.
type Table struct {
	Header  []string
	Records [][]string
}

// Columns of the tidy CSV. The configuration columns come first, then any
// swept key they do not cover (under its own name), then the layer's
// figures.
var (
	configColumns = []string{"config_id", "config", "rows", "cols", "pes", "dataflow",
		"ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb", "bandwidth_mode", "bandwidth"}
	layerColumns = []string{"layer", "layer_name", "macs", "total_cycles", "stall_cycles",
		"overall_util_pct", "mapping_efficiency_pct", "compute_util_pct",
		"ifmap_sram_bw", "filter_sram_bw", "ofmap_sram_bw",
		"ifmap_dram_bw", "filter_dram_bw", "ofmap_dram_bw",
		"ifmap_sram_reads", "filter_sram_reads", "ofmap_sram_writes",
		"ifmap_dram_reads", "filter_dram_reads", "ofmap_dram_writes"}
	// coveredKeys are the config keys the configuration columns show.
	coveredKeys = map[string]bool{"arrayheight": true, "arraywidth": true, "dataflow": true,
		"ifmapsramszkb": true, "filtersramszkb": true, "ofmapsramszkb": true,
		"interfacebandwidth": true, "bandwidth": true}
)

// extraKeys are the swept keys without a configuration column.
func extraKeys(p Point) []int {
	var out []int
	for i, k := range p.Keys {
		if !coveredKeys[strings.ToLower(bareKey(k))] {
			out = append(out, i)
		}
	}
	return out
}

// header is the tidy CSV header of a sweep whose points look like p.
func header(p Point) []string {
	h := slices.Clone(configColumns)
	for _, i := range extraKeys(p) {
		h = append(h, p.Keys[i])
	}
	return append(h, layerColumns...)
}

func itoa(x int64) string          { return strconv.FormatInt(x, 10) }
func ftoa(x float64) string        { return strconv.FormatFloat(x, 'g', -1, 64) }
func atoi(x int) string            { return strconv.Itoa(x) }
func words(a report.Access) string { return itoa(a.Words) }

// records are the tidy rows of one finished configuration.
func records(p Point, run *report.Run, layers []systolic.Layer) ([][]string, error) {
	if len(run.Layers) != len(layers) {
		return nil, fmt.Errorf("run %s has %d layers, the topology %d", run.Dir, len(run.Layers), len(layers))
	}
	c := p.Config
	bw := ""
	if len(c.Bandwidth) > 0 {
		bw = atoi(c.Bandwidth[0])
	}
	cfg := []string{atoi(p.ID), p.Name, atoi(c.ArrayHeight), atoi(c.ArrayWidth),
		atoi(c.ArrayHeight * c.ArrayWidth), c.Dataflow.String(),
		atoi(c.IfmapSRAMKB), atoi(c.FilterSRAMKB), atoi(c.OfmapSRAMKB), c.BandwidthMode.String(), bw}
	for _, i := range extraKeys(p) {
		cfg = append(cfg, p.Values[i])
	}
	out := make([][]string, len(layers))
	for i, l := range run.Layers {
		r := append(slices.Clone(cfg), atoi(l.ID), layers[i].Name, itoa(layers[i].MACs()),
			itoa(l.TotalCycles), itoa(l.StallCycles),
			ftoa(l.OverallUtil), ftoa(l.MappingEfficiency), ftoa(l.ComputeUtil))
		for op := range 3 {
			r = append(r, ftoa(l.SRAMBandwidth[op]))
		}
		for op := range 3 {
			r = append(r, ftoa(l.DRAMBandwidth[op]))
		}
		for op := range 3 {
			r = append(r, words(l.SRAM[op]))
		}
		for op := range 3 {
			r = append(r, words(l.DRAM[op]))
		}
		out[i] = r
	}
	return out, nil
}

// Col returns the index of the named column, or -1.
func (t *Table) Col(name string) int { return slices.Index(t.Header, name) }

// Write writes the table as CSV to path.
func (t *Table) Write(path string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(t.Header)
	w.WriteAll(t.Records)
	if err := w.Error(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// ReadTable reads a sweep CSV written by Write.
func ReadTable(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sweep CSV %s: %w", path, err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("sweep CSV %s: %w", path, err)
	}
	if len(all) == 0 || len(all[0]) == 0 || all[0][0] != "config_id" {
		return nil, fmt.Errorf("sweep CSV %s: not a sweep table (its header must start with config_id)", path)
	}
	t := &Table{Header: all[0], Records: all[1:]}
	for _, col := range []string{"config_id", "layer"} {
		i := t.Col(col)
		if i < 0 {
			return nil, fmt.Errorf("sweep CSV %s: no %s column", path, col)
		}
		for n, r := range t.Records {
			if _, err := strconv.Atoi(r[i]); err != nil {
				return nil, fmt.Errorf("sweep CSV %s line %d: %s %q is not an integer", path, n+2, col, r[i])
			}
		}
	}
	return t, nil
}

// sortRecords puts records in sweep order: by configuration, then layer.
func (t *Table) sortRecords() {
	id, layer := t.Col("config_id"), t.Col("layer")
	key := func(r []string, i int) int { v, _ := strconv.Atoi(r[i]); return v }
	slices.SortStableFunc(t.Records, func(a, b []string) int {
		if c := key(a, id) - key(b, id); c != 0 {
			return c
		}
		return key(a, layer) - key(b, layer)
	})
}

// Merge joins the CSVs of a sweep's shards into the table one unsharded
// run writes: the headers must be equal and no configuration may appear
// in two files.
func Merge(paths []string) (*Table, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("merge: no CSV files")
	}
	var out *Table
	from := map[string]string{}
	for _, p := range paths {
		t, err := ReadTable(p)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = &Table{Header: t.Header}
		} else if !slices.Equal(out.Header, t.Header) {
			return nil, fmt.Errorf("merge: %s has other columns than %s", p, paths[0])
		}
		id := t.Col("config_id")
		seen := map[string]bool{}
		for _, r := range t.Records {
			if prev, dup := from[r[id]]; dup && !seen[r[id]] {
				return nil, fmt.Errorf("merge: configuration %s is in both %s and %s", r[id], prev, p)
			}
			seen[r[id]] = true
			from[r[id]] = p
		}
		out.Records = append(out.Records, t.Records...)
	}
	out.sortRecords()
	return out, nil
}
