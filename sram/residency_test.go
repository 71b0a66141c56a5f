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
	t.Run("epoch 1", func(t *testing.T) { testLineTable(t, 1) })
	// resets and rebuilds take the epoch through its wrap to 0
	t.Run("epoch wraps", func(t *testing.T) { testLineTable(t, ^uint32(0)-3) })
	t.Run("dense", func(t *testing.T) { testLineTable(t, 0) })
}

// testLineTable starts the table at epoch, or makes it dense over the
// addresses used when epoch is 0.
func testLineTable(t *testing.T, epoch uint32) {
	r := rand.New(rand.NewPCG(5, 6))
	tab := newLineTable()
	dense := epoch == 0
	if dense {
		epoch = 1
		tab.useDense(0, 3000*5)
	}
	tab.epoch = epoch
	wrapped := false
	ref := map[int64]int64{}
	hints := make([]int32, 5)
	line, oldest := int64(0), int64(0)
	for step := 0; step < 200000; step++ {
		if r.IntN(20000) == 0 {
			tab.reset()
			clear(ref)
			if dense {
				tab.useDense(0, 3000*5)
			}

		}
		if r.IntN(50) == 0 {
			line++
			oldest = max(oldest, line-int64(r.IntN(5)))
		}
		a := int64(r.IntN(3000)) * 5
		tab.record(a, line, oldest, &hints[r.IntN(len(hints))])
		wrapped = wrapped || tab.epoch < epoch
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
	if epoch > 1 && !wrapped {
		t.Fatalf("the epoch went from %d to %d without wrapping", epoch, tab.epoch)
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

// TestPySetOrder checks the CPython set order against lists printed by
// CPython 3.11.7 for the same insertions (list of a set built with
// s.add(float(x)) in order).
func TestPySetOrder(t *testing.T) {
	seq := func(n int, f func(i int) int64) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	cases := []struct {
		in, want []int64
	}{
		{[]int64{3, 1, 2}, []int64{1, 2, 3}},
		{[]int64{9, 1}, []int64{9, 1}},
		{[]int64{16, 8, 0}, []int64{16, 8, 0}},
		{[]int64{10, 11, 12, 13, 14}, []int64{10, 11, 12, 13, 14}},
		{[]int64{40, 33, 8, 1, 32}, []int64{32, 33, 1, 40, 8}},
		{seq(30, func(i int) int64 { return 20000000 + int64(i)*7 }), []int64{20000000, 20000133,
			20000007, 20000140, 20000014, 20000147, 20000021, 20000154, 20000028, 20000161, 20000035,
			20000168, 20000042, 20000175, 20000049, 20000182, 20000056, 20000189, 20000063, 20000196,
			20000070, 20000203, 20000077, 20000084, 20000091, 20000098, 20000105, 20000112, 20000119,
			20000126}},
		{seq(60, func(i int) int64 { return 10000000 + int64(i*37%101) }), []int64{10000000,
			10000002, 10000003, 10000005, 10000006, 10000009, 10000010, 10000012, 10000013, 10000015,
			10000016, 10000019, 10000020, 10000022, 10000023, 10000025, 10000026, 10000029, 10000030,
			10000032, 10000033, 10000036, 10000037, 10000039, 10000040, 10000042, 10000043, 10000046,
			10000047, 10000049, 10000050, 10000052, 10000053, 10000056, 10000057, 10000059, 10000060,
			10000062, 10000063, 10000066, 10000067, 10000069, 10000070, 10000073, 10000074, 10000076,
			10000077, 10000079, 10000080, 10000083, 10000084, 10000086, 10000087, 10000089, 10000090,
			10000093, 10000094, 10000096, 10000097, 10000100}},
	}
	for _, c := range cases {
		if got := pySetOrder(c.in); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("pySetOrder(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
