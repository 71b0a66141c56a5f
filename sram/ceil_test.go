package sram

import (
	"math"
	"testing"
)

// TestCeilDiv64 covers divisors near the int64 limit, where (a+b-1)/b
// overflowed and a window with Bandwidth 2^63-1 divided by zero.
func TestCeilDiv64(t *testing.T) {
	for _, c := range []struct{ a, b, want int64 }{
		{0, 1, 0}, {1, 1, 1}, {7, 2, 4}, {8, 2, 4},
		{1, math.MaxInt64, 1}, {math.MaxInt64, math.MaxInt64, 1}, {math.MaxInt64, 2, 1 << 62},
		{100, math.MaxInt64 - 1, 1},
	} {
		if got := ceilDiv64(c.a, c.b); got != c.want {
			t.Errorf("ceilDiv64(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	w := newWindow(1024, math.MaxInt64)
	if w.eps != 11 {
		t.Errorf("eps = %d, want 11", w.eps)
	}
}
