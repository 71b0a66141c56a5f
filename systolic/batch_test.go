package systolic

import (
	"testing"

	"github.com/npusim/npusim/components/protocol"
)

// demandAddrs returns every address operand op's demand touches over the
// whole layer, with how often.
func demandAddrs(m *Mapping, op protocol.Operand) map[int64]int {
	seen := map[int64]int{}
	buf := make([]int64, m.Width(op))
	for i := range m.NumFolds() {
		d := m.Demand(m.Fold(i), op)
		for t := range d.Rows() {
			lo, hi := d.Row(t, buf)
			for _, a := range buf[lo:hi] {
				if a >= 0 {
					seen[a]++
				}
			}
		}
	}
	return seen
}

// TestBatchMapping checks a batch of B in every dataflow: the ofmap gets
// B*P*N distinct outputs, and input b's windows read exactly input 0's
// words shifted by b*H*W*Ch.
func TestBatchMapping(t *testing.T) {
	const b = 3
	l := Layer{Name: "c", H: 9, W: 7, Fh: 3, Fw: 2, Ch: 3, N: 5, Sh: 2, Sw: 1}
	lb := l
	lb.Batch = b
	off := Offsets{Ifmap: 100, Filter: 10000, Ofmap: 20000}
	img := int64(l.H * l.W * l.Ch)
	for _, df := range []Dataflow{OS, WS, IS} {
		one, batched := NewMapping(l, df, 4, 4, off), NewMapping(lb, df, 4, 4, off)
		if got, want := len(demandAddrs(batched, protocol.Ofmap)), b*l.P()*l.N; got != want {
			t.Errorf("%s: %d distinct outputs, want %d", df, got, want)
		}
		if lb.MACs() != b*l.MACs() {
			t.Errorf("MACs %d, want %d x %d", lb.MACs(), b, l.MACs())
		}
		// input b's windows read input 0's words shifted by b*H*W*Ch
		ref := demandAddrs(one, protocol.Ifmap)
		got := demandAddrs(batched, protocol.Ifmap)
	inputs:
		for in := range int64(b) {
			for a := range ref {
				if got[a+in*img] == 0 {
					t.Errorf("%s: input %d misses word %d", df, in, a+in*img)
					break inputs
				}
			}
		}
		if len(got) != b*len(ref) {
			t.Errorf("%s: %d distinct ifmap words, want %d", df, len(got), b*len(ref))
		}
	}
}
