package sram

import (
	"math/rand/v2"
	"testing"
)

// TestAddrTableMatchesMap drives the table and a Go map with the same
// random adds, removals and resets and checks they always agree.
func TestAddrTableMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tab := newAddrTable() // small, so that it has to grow
	ref := map[int64]int32{}
	hints := make([]int32, 6)
	for step := 0; step < 200000; step++ {
		a := int64(r.IntN(300)) * 7
		switch op := r.IntN(100); {
		case op < 55:
			got := tab.add(a, 1)
			ref[a]++
			if got != ref[a] {
				t.Fatalf("step %d: add(%d) = %d, want %d", step, a, got, ref[a])
			}
		case op < 99:
			if ref[a] > 0 {
				tab.add(a, -1)
				if ref[a]--; ref[a] == 0 {
					delete(ref, a)
				}
			}
		default:
			tab.reset()
			clear(ref)
		}
		b := int64(r.IntN(300)) * 7
		if got, want := tab.get(b), ref[b]; got != want {
			t.Fatalf("step %d: get(%d) = %d, want %d", step, b, got, want)
		}
		if got, want := tab.getHinted(b, &hints[r.IntN(len(hints))]), ref[b]; got != want {
			t.Fatalf("step %d: getHinted(%d) = %d, want %d", step, b, got, want)
		}
	}
	for a := int64(0); a < 300*7; a++ {
		if got, want := tab.get(a), ref[a]; got != want {
			t.Fatalf("at the end: get(%d) = %d, want %d", a, got, want)
		}
	}
}

// TestAddrSetMatchesMap checks the set against a Go map under random
// inserts and resets.
func TestAddrSetMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	set := newAddrSet()
	ref := map[int64]bool{}
	hints := make([]int32, 8)
	for step := 0; step < 200000; step++ {
		if r.IntN(5000) == 0 {
			set.reset()
			clear(ref)
		}
		a := int64(r.IntN(20000)) * 3
		if got, want := set.insert(a, &hints[r.IntN(len(hints))]), !ref[a]; got != want {
			t.Fatalf("step %d: insert(%d) = %v, want %v", step, a, got, want)
		}
		ref[a] = true
	}
}
