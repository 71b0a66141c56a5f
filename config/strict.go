package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/npusim/npusim/vector"
)

// npusim's own sections are strict: a key npusim does not read there is an
// error, with the nearest known key suggested, because a misspelt key
// (Latncy = 5) would otherwise be ignored and the run would use the
// default without a word. SCALE-Sim's own sections ([general],
// [architecture_presets], [run_presets], [network_presets], [layout])
// stay lenient, as SCALE-Sim is: their files may carry keys of other
// SCALE-Sim versions.

// strictKeys lists, per npusim section, every key npusim reads there.
// A section reader that reads a new key must list it here.
var strictKeys = map[string][]string{
	secDRAM:      {"Model", "Config", "Continuous", "Channels", "Latency", "Width", "RequestBytes", "MaxInFlight"},
	secMulticore: {"Cores", "Partition", "CoreRows", "CoreCols"},
	secNpusim:    {"WordBytes", "Batch", "FrequencyMHz"},
	secEnergy: {"MultpJ", "AddpJ", "IdlePEpJ", "IfmapSRAMpJ", "FilterSRAMpJ", "OfmapSRAMpJ",
		"DRAMReadpJ", "DRAMWritepJ", "ClockMHz"},
	secSparsity: {"SparsitySupport", "SparseRep", "OptimizedMapping", "BlockSize", "RandomNumberGeneratorSeed"},
}

// StrictSections are the sections whose unknown keys are refused, sorted.
func StrictSections() []string {
	var s []string
	for sec := range strictKeys {
		s = append(s, sec)
	}
	sort.Strings(s)
	return s
}

// checkKeys refuses an unknown key in a strict section, naming its line
// and the nearest known key.
func (p *cfgParser) checkKeys() error {
	for _, sec := range StrictSections() {
		known := strictKeys[sec]
		var unknown []string
		for key := range p.raw[sec] {
			if !containsFold(known, key) {
				unknown = append(unknown, key)
			}
		}
		if len(unknown) == 0 {
			continue
		}
		// The first in the file, so that fixing them in order works.
		sort.Slice(unknown, func(i, j int) bool { return p.line[sec][unknown[i]] < p.line[sec][unknown[j]] })
		key := unknown[0]
		hint := ""
		if near := nearest(key, known); near != "" {
			hint = fmt.Sprintf("did you mean %s? ", near)
		}
		return p.errf("line %d: [%s] %s: unknown key: %s[%s] takes %s", p.line[sec][key], sec, p.spelling[sec][key], hint, sec, strings.Join(known, ", "))
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// nearest is the known key closest to key (case-insensitive edit
// distance, a swap of two neighbours counting as one edit), if it is close
// enough to be a likely misspelling: one edit, or up to a third of its
// letters.
func nearest(key string, known []string) string {
	best, bestD := "", max(1, len(key)/3)
	for _, k := range known {
		if d := editDistance(strings.ToLower(key), strings.ToLower(k)); d <= bestD && (best == "" || d < bestD) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance of a and b
// (bytes): insertions, deletions, substitutions and swaps of neighbours.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// inlineCommentHint is added to the error about a value that holds what
// looks like an inline comment: configparser (and so SCALE-Sim and
// npusim) keeps "USER  # required" whole as the value.
func (p *cfgParser) inlineCommentHint(section, key string) string {
	v, ok := p.raw[section][strings.ToLower(key)]
	if !ok {
		v, ok = p.raw[secDefault][strings.ToLower(key)]
	}
	if !ok {
		return ""
	}
	for _, c := range []string{" #", "\t#", " ;", "\t;"} {
		if strings.Contains(v, c) {
			return "; inline comments are not stripped (SCALE-Sim's configparser keeps them in the value): put the comment on a line of its own"
		}
	}
	return ""
}

func init() {
	// [vector] takes its unit's keys and, to override the cost table, an
	// operator's name.
	strictKeys[secVector] = append([]string{"Lanes", "Latency", "Fuse"}, vector.Ops()...)
}
