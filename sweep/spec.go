// Package sweep runs a design-space sweep: every combination of values of
// some config keys, on all cores, each configuration on its own akita
// engine (runner.Run), with its SCALE-Sim reports in its own folder and
// one tidy CSV row per configuration and layer. A sweep can be split into
// deterministic shards for a batch scheduler (Merge joins their CSVs), and
// a restarted sweep reruns only the configurations not yet finished.
package sweep

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/npusim/npusim/config"
)

// Param is one swept config key and its values, in sweep order.
type Param struct {
	// Key is a config key ("ArrayHeight") or section.key
	// ("architecture_presets.ArrayHeight"); keys are case-insensitive.
	Key    string
	Values []string
}

// Spec is a whole sweep: the cartesian product of its params, the first
// param varying slowest.
type Spec struct {
	Params []Param
	// PEs, if positive, fixes the PE count: each configuration's
	// ArrayWidth is PEs / ArrayHeight (the aspect-ratio sweep).
	PEs int
}

// ParseSet parses "key=v1,v2,...", the -set flag. Control characters
// and invalid UTF-8 are refused: keys and values reach folder names, the
// CSV, the HTML page and error messages.
func ParseSet(s string) (Param, error) {
	if err := printable(s); err != nil {
		return Param{}, fmt.Errorf("-set %q: %w", s, err)
	}
	key, vals, ok := strings.Cut(s, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return Param{}, fmt.Errorf("-set %q: want KEY=V1,V2,...", s)
	}
	p := Param{Key: key}
	for _, v := range strings.Split(vals, ",") {
		if v = strings.TrimSpace(v); v != "" {
			p.Values = append(p.Values, v)
		}
	}
	if len(p.Values) == 0 {
		return Param{}, fmt.Errorf("-set %q: no values for %s", s, key)
	}
	return p, nil
}

// ParseFile reads a sweep file: one "key = v1, v2, ..." line per swept
// key, and optionally "pes = N" to fix the PE count. Blank lines and lines
// starting with '#' are skipped.
func ParseFile(path string, r io.Reader) (Spec, error) {
	var spec Spec
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, err := ParseSet(line)
		if err != nil {
			return Spec{}, fmt.Errorf("sweep file %s line %d: %w", path, n, err)
		}
		if strings.EqualFold(p.Key, "pes") {
			if err := spec.SetPEs(p.Values); err != nil {
				return Spec{}, fmt.Errorf("sweep file %s line %d: %w", path, n, err)
			}
			continue
		}
		spec.Params = append(spec.Params, p)
	}
	if err := sc.Err(); err != nil {
		return Spec{}, fmt.Errorf("sweep file %s: %w", path, err)
	}
	return spec, nil
}

// SetPEs sets the fixed PE count from a single value; a second pes (in
// the sweep file or from -pes) is refused rather than silently winning.
func (s *Spec) SetPEs(vals []string) error {
	if s.PEs > 0 {
		return fmt.Errorf("pes is given twice (%d, then %s)", s.PEs, strings.Join(vals, ","))
	}
	if len(vals) != 1 {
		return fmt.Errorf("pes takes one value, got %d", len(vals))
	}
	n, err := strconv.Atoi(vals[0])
	if err != nil || n <= 0 {
		return fmt.Errorf("pes %q: want a positive integer", vals[0])
	}
	s.PEs = n
	return nil
}

// Point is one configuration of a sweep.
type Point struct {
	// ID is the configuration's index in sweep order; shards and the CSV
	// use it.
	ID int
	// Name is its folder name, made of the swept values ("16x256_os").
	Name string
	// Keys and Values are the swept keys (with ArrayWidth added under a
	// fixed PE count) and this configuration's values.
	Keys, Values []string
	Config       config.Config
	// Text is the config file of this configuration.
	Text []byte
}

// MaxConfigs bounds the configurations of a sweep. Points builds and
// checks every configuration before anything runs (a few KB each), and a
// sweep writes a folder of reports per configuration: 10,000 keeps both
// small (tens of MB, tens of thousands of files). A larger design space
// is best cut into several sweeps.
const MaxConfigs = 10_000

// MaxRows bounds a sweep's CSV rows (configurations x layers), so that
// its CSV stays well inside what merge and plot read (MaxTableBytes).
const MaxRows = 250_000

// MaxNameBytes bounds a configuration's name, which names its folder:
// file systems allow 255 bytes, and a name that does not fit must stop
// the sweep before it starts, not in the middle.
const MaxNameBytes = 200

// Points expands spec over the base config text (read from path): every
// configuration is built and validated before anything runs, so a bad
// value stops the sweep at once. A sweep has at most MaxConfigs
// configurations.
func (s Spec) Points(path string, base []byte) ([]Point, error) {
	if len(s.Params) == 0 {
		return nil, fmt.Errorf("sweep: nothing to sweep (give a sweep file or -set KEY=V1,V2,...)")
	}
	heightSwept := false
	for i, p := range s.Params {
		if err := checkKey(p.Key); err != nil {
			return nil, err
		}
		for _, q := range s.Params[:i] {
			if sameKey(q.Key, p.Key) {
				if q.Key == p.Key {
					return nil, fmt.Errorf("sweep: key %s is swept twice", p.Key)
				}
				return nil, fmt.Errorf("sweep: key %s is swept twice, as %s and as %s", bareKey(p.Key), q.Key, p.Key)
			}
		}
		k := strings.ToLower(bareKey(p.Key))
		if k == "run_name" {
			return nil, fmt.Errorf("sweep: run_name cannot be swept (each configuration is named after its values)")
		}
		if s.PEs > 0 && k == "arraywidth" {
			return nil, fmt.Errorf("sweep: ArrayWidth cannot be swept with a fixed PE count (it is pes / ArrayHeight)")
		}
		heightSwept = heightSwept || k == "arrayheight"
	}
	if s.PEs > 0 && !heightSwept {
		return nil, fmt.Errorf("sweep: a fixed PE count needs ArrayHeight to be swept")
	}
	total, product := 1, 1.0
	for _, p := range s.Params {
		product *= float64(len(p.Values))
	}
	if product > MaxConfigs {
		return nil, fmt.Errorf("sweep: %.0f configurations, more than the %d a sweep may have: cut the design space into several sweeps", product, MaxConfigs)
	}
	for _, p := range s.Params {
		total *= len(p.Values)
	}
	points := make([]Point, 0, total)
	names := map[string]int{}
	idx := make([]int, len(s.Params))
	for id := range total {
		pt, err := s.point(id, idx, path, base)
		if err != nil {
			return nil, err
		}
		if len(pt.Name) > MaxNameBytes {
			return nil, fmt.Errorf("sweep: configuration %d is named %q, %d bytes long: a name (made of the swept values) names a folder and may have at most %d; shorten the values", id, ellipsis(pt.Name, 40), len(pt.Name), MaxNameBytes)
		}
		if prev, dup := names[pt.Name]; dup {
			return nil, fmt.Errorf("sweep: configurations %d and %d are both named %q", prev, id, pt.Name)
		}
		names[pt.Name] = id
		points = append(points, pt)
		for k := len(idx) - 1; k >= 0; k-- { // odometer, last param fastest
			if idx[k]++; idx[k] < len(s.Params[k].Values) {
				break
			}
			idx[k] = 0
		}
	}
	return points, nil
}

// point builds configuration id, whose value indices are idx.
func (s Spec) point(id int, idx []int, path string, base []byte) (Point, error) {
	pt := Point{ID: id}
	text := base
	var err error
	for k, p := range s.Params {
		v := p.Values[idx[k]]
		if text, err = setKey(text, p.Key, v); err != nil {
			return Point{}, fmt.Errorf("sweep: config %s: %w", path, err)
		}
		pt.Keys = append(pt.Keys, p.Key)
		pt.Values = append(pt.Values, v)
	}
	if s.PEs > 0 {
		cfg, err := config.Parse(path, text)
		if err != nil {
			return Point{}, fmt.Errorf("sweep: configuration %s: %w", strings.Join(pt.Values, ","), err)
		}
		if s.PEs%cfg.ArrayHeight != 0 {
			return Point{}, fmt.Errorf("sweep: ArrayHeight %d does not divide pes %d", cfg.ArrayHeight, s.PEs)
		}
		w := strconv.Itoa(s.PEs / cfg.ArrayHeight)
		if text, err = setKey(text, "ArrayWidth", w); err != nil {
			return Point{}, fmt.Errorf("sweep: config %s: %w", path, err)
		}
		pt.Keys = append(pt.Keys, "ArrayWidth")
		pt.Values = append(pt.Values, w)
	}
	pt.Name = pointName(pt.Keys, pt.Values)
	if text, err = setKey(text, "general.run_name", pt.Name); err != nil {
		return Point{}, fmt.Errorf("sweep: config %s: %w", path, err)
	}
	pt.Text = text
	if pt.Config, err = config.Parse(path, text); err != nil {
		return Point{}, fmt.Errorf("sweep: configuration %s: %w", pt.Name, err)
	}
	return pt, nil
}

// pointName joins the values with "_", writing ArrayHeight and ArrayWidth
// as one "RxC" item, and keeps only characters safe in a folder name.
func pointName(keys, vals []string) string {
	h, w := -1, -1
	for i, k := range keys {
		switch strings.ToLower(bareKey(k)) {
		case "arrayheight":
			h = i
		case "arraywidth":
			w = i
		}
	}
	var items []string
	for i, v := range vals {
		switch {
		case i == h && w >= 0:
			items = append(items, safe(v)+"x"+safe(vals[w]))
		case i == w && h >= 0:
		default:
			items = append(items, safe(v))
		}
	}
	return strings.Join(items, "_")
}

func safe(v string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, v)
}

// bareKey drops a "section." prefix.
func bareKey(key string) string {
	if i := strings.LastIndex(key, "."); i >= 0 {
		return key[i+1:]
	}
	return key
}

// knownSections says where a key missing from the base config is added.
var knownSections = map[string]string{
	"run_name": "general", "interfacebandwidth": "run_presets",
	"arrayheight": "architecture_presets", "arraywidth": "architecture_presets",
	"ifmapsramszkb": "architecture_presets", "filtersramszkb": "architecture_presets",
	"ofmapsramszkb": "architecture_presets", "ifmapoffset": "architecture_presets",
	"filteroffset": "architecture_presets", "ofmapoffset": "architecture_presets",
	"bandwidth": "architecture_presets", "dataflow": "architecture_presets",
	"memorybanks": "architecture_presets",
}

// setKey sets key to val in the INI text: every "key = ..." or "key: ..."
// line of the key (in its section, if key is section.key) is rewritten;
// a key absent from the text is added to its section. The result is
// validated later by config.Parse, like any config file.
func setKey(text []byte, key, val string) ([]byte, error) {
	section, name := "", key
	if i := strings.LastIndex(key, "."); i >= 0 {
		section, name = key[:i], key[i+1:]
	}
	if strings.ContainsAny(val, "\r\n") {
		return nil, fmt.Errorf("value %q of %s spans lines", val, key)
	}
	lines := strings.SplitAfter(string(text), "\n")
	cur, found, foundIn, secLine := "", false, "", -1
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			cur = strings.TrimSpace(t[1 : len(t)-1])
			if section == "" && secLine < 0 && cur == knownSections[strings.ToLower(name)] || section != "" && cur == section {
				secLine = i
			}
			continue
		}
		if t == "" || t[0] == '#' || t[0] == ';' || section != "" && cur != section {
			continue
		}
		sep := strings.IndexAny(t, ":=")
		if sep < 0 || !strings.EqualFold(strings.TrimSpace(t[:sep]), name) {
			continue
		}
		if found && foundIn != cur {
			return nil, fmt.Errorf("key %s is in [%s] and in [%s]: write SECTION.%s", key, foundIn, cur, key)
		}
		lines[i] = strings.TrimSpace(t[:sep]) + " = " + val + "\n"
		found, foundIn = true, cur
	}
	if found {
		return []byte(strings.Join(lines, "")), nil
	}
	if secLine < 0 {
		if section == "" {
			section = knownSections[strings.ToLower(name)]
		}
		if section == "" {
			return nil, fmt.Errorf("key %s is not in the config (write SECTION.%s to add it)", key, key)
		}
		out := string(text)
		if out != "" && !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
		return []byte(out + "[" + section + "]\n" + name + " = " + val + "\n"), nil
	}
	lines = append(lines[:secLine+1], append([]string{name + " = " + val + "\n"}, lines[secLine+1:]...)...)
	return []byte(strings.Join(lines, "")), nil
}

// printable refuses control characters and invalid UTF-8.
func printable(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("not valid UTF-8")
	}
	for i, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("control character %U at byte %d", r, i)
		}
	}
	return nil
}

// ellipsis shortens s to its first n bytes (on a rune boundary) and "...".
func ellipsis(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// checkKey refuses a key whose section is not where the key is read from:
// "general.ArrayHeight" would add a key the simulator never reads, and
// every configuration would be the base one under another name.
func checkKey(key string) error {
	i := strings.LastIndex(key, ".")
	if i < 0 {
		return nil
	}
	section, name := key[:i], key[i+1:]
	if section == "" || name == "" {
		return fmt.Errorf("sweep: key %q: want KEY or SECTION.KEY", key)
	}
	if want := knownSections[strings.ToLower(name)]; want != "" && section != want {
		return fmt.Errorf("sweep: key %s: %s is read from [%s], not [%s]", key, name, want, section)
	}
	return nil
}

// sameKey says whether two swept keys name the same config key: the same
// name (keys are case-insensitive), and the same section or at least one
// of them without a section (a bare key is set in every section).
func sameKey(a, b string) bool {
	if !strings.EqualFold(bareKey(a), bareKey(b)) {
		return false
	}
	sa, sb := section(a), section(b)
	return sa == "" || sb == "" || sa == sb
}

// section is a key's "section." prefix, without the dot ("" if none).
func section(key string) string {
	if i := strings.LastIndex(key, "."); i >= 0 {
		return key[:i]
	}
	return ""
}
