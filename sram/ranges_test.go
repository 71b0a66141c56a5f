package sram

import (
	"math/rand"
	"reflect"
	"testing"

	"github.com/npusim/npusim/components/protocol"
)

// perBlock counts the words of ranges per aligned block of 1<<shift
// words, in address order: what a blockQueue must give for them.
func perBlock(rs []protocol.AddrRange, shift uint) []protocol.WordBlock {
	count := map[int64]int64{}
	var keys []int64
	for _, r := range rs {
		for a := r.Start; a < r.End; a++ {
			blk := a >> shift << shift
			if count[blk] == 0 {
				keys = append(keys, blk)
			}
			count[blk]++
		}
	}
	for i := 1; i < len(keys); i++ { // insertion sort: small inputs
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	var out []protocol.WordBlock
	for _, k := range keys {
		out = append(out, protocol.WordBlock{Start: k, Words: count[k]})
	}
	return out
}

// TestBlockQueueMatchesRanges: whatever the addresses (clustered, a
// block apart, scattered far apart, repeated), with the dense table or
// the list, a blockQueue gives per block exactly the words a rangeQueue
// gives as ranges; and a wordQueue, however drains cut its rows (with
// -1 slots), gives per block exactly the words a rangeQueue's take does.
func TestBlockQueueMatchesRanges(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	gens := map[string]func() int64{
		"clustered": func() int64 { return 5000 + rng.Int63n(3000) },
		"strided":   func() int64 { return 100 + 64*rng.Int63n(200) + rng.Int63n(3) },
		"scattered": func() int64 { return rng.Int63n(1 << 40) },
	}
	for name, gen := range gens {
		for _, shift := range []uint{0, 3, 6} {
			for _, dense := range []bool{false, true} {
				bq := &blockQueue{shift: shift}
				if dense {
					bq.useDense(5000, 8000) // the clustered span; others fall outside it
				}
				var rq rangeQueue
				for round := range 40 {
					for range 1 + rng.Intn(500) {
						a := gen()
						bq.push(a)
						rq.push(a)
					}
					if got, want := bq.all(), perBlock(rq.all(), shift); !reflect.DeepEqual(got, want) {
						t.Fatalf("%s shift %d dense %v round %d: blocks\n%v\nwant\n%v", name, shift, dense, round, got, want)
					}
				}
			}
			wq := &wordQueue{shift: shift}
			var rq rangeQueue
			for round := range 60 {
				n := 0
				for range rng.Intn(40) {
					row := make([]int64, 1+rng.Intn(12))
					for i := range row {
						row[i] = -1
						if rng.Intn(5) > 0 {
							row[i] = gen()
							rq.push(row[i])
							n++
						}
					}
					if rng.Intn(4) == 0 {
						for _, a := range row {
							wq.push(a)
						}
					} else {
						wq.pushRow(row)
					}
				}
				k := int64(rng.Intn(n + 20))
				if got, want := wq.take(k), perBlock(rq.take(k), shift); !reflect.DeepEqual(got, want) {
					t.Fatalf("wordQueue %s shift %d round %d: take(%d) blocks\n%v\nwant\n%v", name, shift, round, k, got, want)
				}
			}
		}
	}
}
