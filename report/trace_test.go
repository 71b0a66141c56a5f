package report

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/npusim/npusim/internal/py"
)

// TestAppendInt checks the trace integer formatting against strconv and
// py.Float over every digit count and the int64 limits.
func TestAppendInt(t *testing.T) {
	xs := []int64{0, 1, -1, 9, 10, 99, 100, 101, -10, math.MaxInt64, math.MinInt64,
		1<<53 - 1, -(1<<53 - 1), 1 << 53, 1<<53 + 1, 9999999999999998, 1e16, -1e16, 1e17 + 3}
	for p := int64(1); p > 0 && p < math.MaxInt64/10; p *= 10 {
		xs = append(xs, p-1, p, p+1, -p, 7*p+3)
	}
	for _, x := range xs {
		if got, want := string(appendInt([]byte("x"), x)), "x"+strconv.FormatInt(x, 10); got != want {
			t.Errorf("appendInt(%d) = %q, want %q", x, got, want)
		}
		if got, want := string(appendPyInt(nil, x)), py.Float(float64(x)); got != want {
			t.Errorf("appendPyInt(%d) = %q, want %q", x, got, want)
		}
	}
}

// TestTraceFiles writes both kinds of trace across several chunks and
// checks the text, including SCALE-Sim's 1.0 padding of narrower DRAM
// rows in all padding paths (width runs copied by the kernel or row by
// row, and comma counting once there are too many runs).
func TestTraceFiles(t *testing.T) {
	dir := t.TempDir()
	st, err := CreateSRAMTrace(filepath.Join(dir, "s.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for c := int64(-5); c < 40000; c++ {
		row := []int64{c, -1, -1, c * 1000, -1}
		row = append(row, make([]int64, 70)...)
		for i := 5; i < len(row); i++ {
			row[i] = -1
		}
		st.Row(c, row)
		want.WriteString(strconv.FormatInt(c, 10))
		for _, a := range row {
			want.WriteString("," + strconv.FormatInt(a, 10))
		}
		want.WriteString("\n")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	checkFile(t, filepath.Join(dir, "s.csv"), want.String())

	// narrow rows every period rows: long full-width runs (kernel copy),
	// short ones (copied row by row), and too many runs to keep
	for _, c := range []struct{ rows, period int }{{20000, 1000}, {20000, 10}, {3 * maxRuns, 2}} {
		rows := c.rows
		path := filepath.Join(dir, "d"+strconv.Itoa(c.period)+".csv")
		dt, err := CreateDRAMTrace(path)
		if err != nil {
			t.Fatal(err)
		}
		want.Reset()
		for i := range rows {
			w := 10
			if i%c.period == c.period-1 {
				w = 3 + i%5
			}
			addrs := make([]int64, w)
			want.WriteString(py.Float(float64(i - 7)))
			for j := range addrs {
				addrs[j] = int64(i*10 + j)
				want.WriteString("," + py.Float(float64(addrs[j])))
			}
			for j := w; j < 10; j++ {
				want.WriteString(",1.0")
			}
			want.WriteString("\n")
			dt.Row(int64(i-7), addrs)
		}
		if err := dt.Close(); err != nil {
			t.Fatal(err)
		}
		checkFile(t, path, want.String())
		if _, err := os.Stat(path + ".rows"); !os.IsNotExist(err) {
			t.Errorf("scratch file %s.rows left behind", path)
		}
	}
}

func checkFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s: %d bytes differ from the %d expected", path, len(got), len(want))
	}
}
