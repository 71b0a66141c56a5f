package sram

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/npusim/npusim/components/protocol"
)

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

// TestLineTableMatchesMap checks the line table against a map under
// records with growing lines, arbitrary "oldest" bounds and resets: every
// address whose latest line is at or after the bound must read back.
func TestLineTableMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	tab := newLineTable()
	ref := map[int64]int64{}
	hints := make([]int32, 5)
	line, oldest := int64(0), int64(0)
	for step := 0; step < 200000; step++ {
		if r.IntN(20000) == 0 {
			tab.reset()
			clear(ref)
		}
		if r.IntN(50) == 0 {
			line++
			oldest = max(oldest, line-int64(r.IntN(5)))
		}
		a := int64(r.IntN(3000)) * 5
		tab.record(a, line, oldest, &hints[r.IntN(len(hints))])
		ref[a] = line
		b := int64(r.IntN(3000)) * 5
		got := tab.latest(b, &hints[r.IntN(len(hints))])
		want, ok := ref[b]
		switch {
		case ok && want >= oldest && got != want:
			t.Fatalf("step %d: latest(%d) = %d, want %d", step, b, got, want)
		case (!ok || want < oldest) && got >= oldest:
			t.Fatalf("step %d: latest(%d) = %d, want < %d (absent or out of the window)", step, b, got, oldest)
		}
	}
}

// fixedFill is a FillOrder over a fixed list of addresses.
type fixedFill []int64

func (f fixedFill) Len() int64                  { return int64(len(f)) }
func (f fixedFill) Cursor() protocol.FillCursor { return &fixedCursor{f: f} }

type fixedCursor struct {
	f fixedFill
	i int
}

func (c *fixedCursor) Next() int64 { c.i++; return c.f[c.i-1] }

// TestWindowRefusesAbsentAddress checks that a demand for an address the
// fill order does not hold stops with a message instead of sliding the
// window forever, as SCALE-Sim's read buffer would.
func TestWindowRefusesAbsentAddress(t *testing.T) {
	fill := make(fixedFill, 5000)
	for i := range fill {
		fill[i] = int64(i)
	}
	w := newWindow(1024, 4)
	w.beginLayer(fill, false)
	hints := []int32{-1, -1}
	if n, fetch := w.serve([]int64{3, 4}, hints, 0); n != 2 || fetch != nil {
		t.Fatalf("resident addresses: serve = %d, %v", n, fetch)
	}
	if n, fetch := w.serve([]int64{3, 4000}, hints, 1); n != 1 || fetch == nil {
		t.Fatalf("address 4000 is not in the first window: serve = %d, %v", n, fetch)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "address 99999 is not in the layer's fill order") {
			t.Errorf("panic = %v", r)
		}
	}()
	for range 1000 {
		w.serve([]int64{99999}, hints[:1], 2)
	}
}
