package dramsim

import (
	"math/rand/v2"
	"testing"
)

// TestAddrMap: random puts, gets and deletes over a few key patterns (DRAM
// addresses, dense and clustered) agree with a Go map at every step.
func TestAddrMap(t *testing.T) {
	for pattern, key := range []func(r *rand.Rand) uint64{
		func(r *rand.Rand) uint64 { return r.Uint64N(1<<34) &^ 63 },
		func(r *rand.Rand) uint64 { return r.Uint64N(300) },
		func(r *rand.Rand) uint64 { return r.Uint64N(64) << 40 },
	} {
		r := rand.New(rand.NewPCG(uint64(pattern), 9))
		a := newAddrMap()
		want := map[uint64]*trans{}
		for step := range 200000 {
			k := key(r)
			switch r.IntN(3) {
			case 0:
				if _, ok := want[k]; !ok {
					v := &trans{addr: k}
					want[k] = v
					a.put(k, v)
				}
			case 1:
				delete(want, k)
				a.del(k)
			}
			if got := a.get(k); got != want[k] {
				t.Fatalf("pattern %d step %d: get(%#x) = %p, want %p", pattern, step, k, got, want[k])
			}
			if a.len() != len(want) {
				t.Fatalf("pattern %d step %d: len %d, want %d", pattern, step, a.len(), len(want))
			}
		}
		for k, v := range want {
			if a.get(k) != v {
				t.Fatalf("pattern %d: final get(%#x) wrong", pattern, k)
			}
		}
	}
}
