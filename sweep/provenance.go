package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/npusim/npusim/systolic"
)

// Provenance says which sweep a CSV comes from. A sweep writes it beside
// its CSV (ProvenancePath), and Merge checks that its shards are one
// sweep's, all of them: a shard of another sweep (another base config,
// topology, swept keys or shard count) or a missing shard is refused, so
// that a failed batch task cannot go unnoticed.
type Provenance struct {
	// Sweep fingerprints the whole sweep: every configuration's config
	// text (the base config with the swept values) and the topology.
	Sweep string `json:"sweep"`
	// Configs and Topology fingerprint the two halves, to say which one
	// differs.
	Configs  string `json:"configs"`
	Topology string `json:"topology"`
	// Keys is the sweep spec: the swept keys and their values.
	Keys string `json:"keys"`
	// Configurations and Layers size the sweep: its CSV has
	// Configurations x Layers rows.
	Configurations int `json:"configurations"`
	Layers         int `json:"layers"`
	// Shard and Shards are the share of the sweep the CSV holds (0 and 1
	// for a whole sweep or a merged one).
	Shard  int `json:"shard"`
	Shards int `json:"shards"`
	// CSV is the SHA-256 of the CSV's bytes.
	CSV string `json:"csv_sha256"`
}

// ProvenancePath is where the provenance of the CSV at path is kept:
// sweep.csv's in sweep.provenance.json.
func ProvenancePath(csvPath string) string {
	return strings.TrimSuffix(csvPath, ".csv") + ".provenance.json"
}

// maxProvenanceBytes bounds a provenance file read back.
const maxProvenanceBytes = 1 << 20

// newProvenance describes the sweep of points over layers.
func newProvenance(points []Point, layers []systolic.Layer, shard, shards int) *Provenance {
	cfgs, topo := sha256.New(), sha256.New()
	for _, p := range points {
		fmt.Fprintf(cfgs, "%d\x00%s\x00", len(p.Text), p.Text)
	}
	fmt.Fprintf(topo, "%+v", layers)
	var keys []string
	if len(points) > 0 {
		for k, key := range points[0].Keys {
			var vals []string
			for _, p := range points {
				if !slices.Contains(vals, p.Values[k]) {
					vals = append(vals, p.Values[k])
				}
			}
			keys = append(keys, key+"="+strings.Join(vals, ","))
		}
	}
	c, t := hex.EncodeToString(cfgs.Sum(nil)), hex.EncodeToString(topo.Sum(nil))
	all := sha256.Sum256([]byte(c + t))
	return &Provenance{Sweep: hex.EncodeToString(all[:]), Configs: c, Topology: t, Keys: strings.Join(keys, "; "),
		Configurations: len(points), Layers: len(layers), Shard: shard, Shards: max(shards, 1)}
}

// write writes the provenance of the CSV whose bytes are csv.
func (p Provenance) write(csvPath string, csv []byte) error {
	sum := sha256.Sum256(csv)
	p.CSV = hex.EncodeToString(sum[:])
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	path := ProvenancePath(csvPath)
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// readProvenance reads the provenance of the CSV at csvPath, whose bytes
// are csv, and checks that it is the CSV's.
func readProvenance(csvPath string, csv []byte) (*Provenance, error) {
	path := ProvenancePath(csvPath)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s has no provenance (%w): was it written by npusim sweep?", csvPath, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxProvenanceBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxProvenanceBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes: not a provenance file", path, maxProvenanceBytes)
	}
	var p Provenance
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if p.Shards < 1 || p.Shard < 0 || p.Shard >= p.Shards || p.Configurations < 1 || p.Layers < 1 {
		return nil, fmt.Errorf("%s: shard %d of %d, %d configurations of %d layers: not a sweep's provenance", path, p.Shard, p.Shards, p.Configurations, p.Layers)
	}
	if sum := sha256.Sum256(csv); hex.EncodeToString(sum[:]) != p.CSV {
		return nil, fmt.Errorf("%s was changed after its sweep wrote it (its SHA-256 is not the one in %s)", csvPath, path)
	}
	return &p, nil
}
