package sweep_test

import (
	"fmt"

	"github.com/npusim/npusim/sweep"
)

// A -set flag's value becomes a swept key and its values; control
// characters are refused, and the error escapes them.
func ExampleParseSet() {
	p, err := sweep.ParseSet("architecture_presets.Dataflow = os, ws")
	fmt.Println(p.Key, p.Values, err)
	_, err = sweep.ParseSet("Dataflow=os,\x1b[2Jws")
	fmt.Println(err)
	// Output:
	// architecture_presets.Dataflow [os ws] <nil>
	// -set "Dataflow=os,\x1b[2Jws": control character U+001B at byte 12
}

// Each sweep CSV has its provenance beside it; merge reads it to check
// that its shards are all of one sweep's.
func ExampleProvenancePath() {
	fmt.Println(sweep.ProvenancePath("dse/sweep.csv"))
	fmt.Println(sweep.ProvenancePath("dse/" + sweep.CSVName(2, 4)))
	// Output:
	// dse/sweep.provenance.json
	// dse/sweep-shard-2-of-4.provenance.json
}
