package runner

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
)

// sramTrace writes a SCALE-Sim SRAM trace (numpy savetxt "%i"): one row
// per cycle of demand, the serve cycle then one address per port, -1 for
// an idle port.
type sramTrace struct {
	path string // final name; rows go to path+partSuffix until Close
	f    *os.File
	w    *bufio.Writer
	buf  []byte
}

func createSRAMTrace(path string) (*sramTrace, error) {
	f, err := os.Create(path + partSuffix)
	if err != nil {
		return nil, err
	}
	return &sramTrace{path: path, f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

func (t *sramTrace) Row(cycle int64, addrs []int64) {
	b := strconv.AppendInt(t.buf[:0], cycle, 10)
	for _, a := range addrs {
		b = append(b, ',')
		b = strconv.AppendInt(b, a, 10)
	}
	b = append(b, '\n')
	t.w.Write(b)
	t.buf = b
}

// Close completes the trace: it takes its final name only once every row
// is written.
func (t *sramTrace) Close() error {
	err := t.w.Flush()
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(t.path + partSuffix)
		return err
	}
	return os.Rename(t.path+partSuffix, t.path)
}

// abort closes the unfinished trace and removes it.
func (t *sramTrace) abort() {
	t.f.Close()
	os.Remove(t.path + partSuffix)
}

// dramTrace writes a SCALE-Sim DRAM trace (numpy savetxt "%s" of a float64
// array): the completion cycle then the addresses of one line, all printed
// as Python floats. QUIRK (SCALE-Sim): when lines of different widths meet
// in one trace, the narrower rows are padded with 1.0, so rows go to a
// scratch file first and are padded to the widest on Close.
type dramTrace struct {
	path   string
	f      *os.File
	w      *bufio.Writer
	widths map[int]bool
	maxW   int
}

func createDRAMTrace(path string) (*dramTrace, error) {
	f, err := os.Create(path + ".rows")
	if err != nil {
		return nil, err
	}
	return &dramTrace{path: path, f: f, w: bufio.NewWriterSize(f, 1<<16), widths: map[int]bool{}}, nil
}

func (t *dramTrace) Row(cycle int64, addrs []int64) {
	t.widths[len(addrs)] = true
	t.maxW = max(t.maxW, len(addrs))
	t.w.WriteString(pyFloat(float64(cycle)))
	for _, a := range addrs {
		t.w.WriteByte(',')
		t.w.WriteString(pyFloat(float64(a)))
	}
	t.w.WriteByte('\n')
}

// abort closes the unfinished trace and removes its scratch file.
func (t *dramTrace) abort() {
	t.f.Close()
	os.Remove(t.path + ".rows")
}

// Close writes the final file: the scratch rows, padded when widths
// differ (through a partSuffix file, renamed when complete).
func (t *dramTrace) Close() error {
	if err := t.w.Flush(); err != nil {
		t.abort()
		return err
	}
	if len(t.widths) <= 1 {
		if err := t.f.Close(); err != nil {
			os.Remove(t.path + ".rows")
			return err
		}
		return os.Rename(t.path+".rows", t.path)
	}
	if _, err := t.f.Seek(0, io.SeekStart); err != nil {
		t.abort()
		return err
	}
	defer os.Remove(t.path + ".rows")
	defer t.f.Close()
	out, err := os.Create(t.path + partSuffix)
	if err != nil {
		return err
	}
	defer os.Remove(t.path + partSuffix) // a no-op once renamed
	w := bufio.NewWriterSize(out, 1<<16)
	sc := bufio.NewScanner(t.f)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		line := sc.Bytes()
		n := 0
		for _, c := range line {
			if c == ',' {
				n++
			}
		}
		w.Write(line)
		for ; n < t.maxW; n++ {
			w.WriteString(",1.0")
		}
		w.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		out.Close()
		return fmt.Errorf("padding %s: %w", t.path, err)
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(t.path+partSuffix, t.path)
}
