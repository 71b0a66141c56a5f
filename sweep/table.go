package sweep

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
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
	// Provenance, if not nil, is written beside the CSV by Write.
	Provenance *Provenance
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
	// pes counts every core's PEs: rows and cols are one core's array.
	cfg := []string{atoi(p.ID), p.Name, atoi(c.ArrayHeight), atoi(c.ArrayWidth),
		atoi(c.ArrayHeight * c.ArrayWidth * max(1, c.Multicore.Cores)), c.Dataflow.String(),
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

// Write writes the table as CSV to path, and its provenance, if it has
// one, to ProvenancePath(path).
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
	if t.Provenance != nil {
		return t.Provenance.write(path, buf.Bytes())
	}
	return nil
}

// MaxTableBytes bounds a sweep CSV that ReadTable (and so merge and plot)
// reads, and maxLineBytes one of its lines: a sweep of MaxRows rows is
// far below both, and /dev/zero or a stray huge file is refused after at
// most that much reading, in bounded memory.
const (
	MaxTableBytes = 256 << 20
	maxLineBytes  = 1 << 20
)

// readCapped reads a file of at most MaxTableBytes, with lines of at most
// maxLineBytes.
func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > MaxTableBytes {
		return nil, fmt.Errorf("%d bytes, more than the %d a sweep CSV may have", st.Size(), MaxTableBytes)
	}
	r := bufio.NewReaderSize(io.LimitReader(f, MaxTableBytes+1), 64<<10)
	var buf bytes.Buffer
	line, n := 1, 0
	for {
		chunk, err := r.ReadSlice('\n')
		n += len(chunk)
		if n > maxLineBytes {
			return nil, fmt.Errorf("line %d is longer than %d bytes: not a sweep CSV", line, maxLineBytes)
		}
		buf.Write(chunk)
		if buf.Len() > MaxTableBytes {
			return nil, fmt.Errorf("more than the %d bytes a sweep CSV may have", MaxTableBytes)
		}
		switch {
		case err == nil:
			line, n = line+1, 0
		case errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			return buf.Bytes(), nil
		default:
			return nil, err
		}
	}
}

// ReadTable reads a sweep CSV written by Write; the file may have at most
// MaxTableBytes.
func ReadTable(path string) (*Table, error) {
	t, _, err := readTable(path)
	return t, err
}

// readTable is ReadTable, also returning the file's bytes.
func readTable(path string) (*Table, []byte, error) {
	data, err := readCapped(path)
	if err != nil {
		return nil, nil, fmt.Errorf("sweep CSV %s: %w", path, err)
	}
	all, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("sweep CSV %s: %w", path, err)
	}
	if len(all) == 0 || len(all[0]) == 0 || all[0][0] != "config_id" {
		return nil, nil, fmt.Errorf("sweep CSV %s: not a sweep table (its header must start with config_id)", path)
	}
	t := &Table{Header: all[0], Records: all[1:]}
	for _, col := range []string{"config_id", "layer"} {
		i := t.Col(col)
		if i < 0 {
			return nil, nil, fmt.Errorf("sweep CSV %s: no %s column", path, col)
		}
		for n, r := range t.Records {
			if v, err := strconv.Atoi(r[i]); err != nil || v < 0 {
				return nil, nil, fmt.Errorf("sweep CSV %s line %d: %s %q is not an integer >= 0", path, n+2, col, r[i])
			}
		}
	}
	return t, data, nil
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
// run writes, with the same provenance. It refuses a set that is not
// exactly one sweep's shards: the headers must be equal, every file's
// provenance must name the same sweep and shard count, and every shard
// must be there, once, with all its rows. Errors name the foreign file or
// the missing shard.
func Merge(paths []string) (*Table, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("merge: no CSV files")
	}
	var (
		out  *Table
		ref  *Provenance
		from = map[string]string{}
		have = map[int]string{}
	)
	for _, p := range paths {
		t, data, err := readTable(p)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = &Table{Header: t.Header}
		} else if !slices.Equal(out.Header, t.Header) {
			return nil, fmt.Errorf("merge: %s has other columns than %s", p, paths[0])
		}
		prov, err := readProvenance(p, data)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		if ref == nil {
			ref = prov
		} else if why := foreign(ref, prov); why != "" {
			return nil, fmt.Errorf("merge: %s is from another sweep than %s: %s", p, paths[0], why)
		}
		if prev, dup := have[prov.Shard]; dup {
			return nil, fmt.Errorf("merge: %s and %s are both shard %d of %d", prev, p, prov.Shard, prov.Shards)
		}
		have[prov.Shard] = p
		id := t.Col("config_id")
		seen := map[string]bool{}
		for _, r := range t.Records {
			if prev, dup := from[r[id]]; dup && !seen[r[id]] {
				return nil, fmt.Errorf("merge: configuration %s is in both %s and %s", r[id], prev, p)
			}
			seen[r[id]] = true
			from[r[id]] = p
			if n, _ := strconv.Atoi(r[id]); n >= prov.Configurations || n%prov.Shards != prov.Shard {
				return nil, fmt.Errorf("merge: %s holds configuration %d, which is not in shard %d of %d of its sweep", p, n, prov.Shard, prov.Shards)
			}
		}
		// Configurations ID with ID % Shards == Shard, all their layers.
		want := (prov.Configurations - prov.Shard + prov.Shards - 1) / prov.Shards * prov.Layers
		if len(t.Records) != want || len(seen)*prov.Layers != want {
			return nil, fmt.Errorf("merge: %s has %d rows of %d configurations; shard %d of %d of its sweep has %d rows (%d layers each)",
				p, len(t.Records), len(seen), prov.Shard, prov.Shards, want, prov.Layers)
		}
		out.Records = append(out.Records, t.Records...)
	}
	var missing []string
	for i := range ref.Shards {
		if _, ok := have[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d (%s)", i, CSVName(i, ref.Shards)))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("merge: incomplete: %d of %d shards given; missing shard %s", len(have), ref.Shards, strings.Join(missing, ", "))
	}
	out.sortRecords()
	prov := *ref
	prov.Shard, prov.Shards, prov.CSV = 0, 1, ""
	out.Provenance = &prov
	return out, nil
}

// foreign says how the sweep of b differs from that of a ("" if it does
// not).
func foreign(a, b *Provenance) string {
	var why []string
	if a.Topology != b.Topology {
		why = append(why, "another topology")
	}
	if a.Keys != b.Keys {
		why = append(why, fmt.Sprintf("swept keys %q, not %q", b.Keys, a.Keys))
	} else if a.Configs != b.Configs {
		why = append(why, "another base config")
	}
	if a.Shards != b.Shards {
		n := fmt.Sprintf("%d shards", b.Shards)
		if b.Shards == 1 {
			n = "1 shard (a whole or merged sweep)"
		}
		why = append(why, fmt.Sprintf("split into %s, not %d", n, a.Shards))
	}
	if len(why) == 0 && a.Sweep != b.Sweep {
		why = append(why, "another sweep fingerprint")
	}
	return strings.Join(why, ", ")
}
