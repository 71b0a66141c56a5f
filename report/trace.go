package report

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/npusim/npusim/internal/fileio"
	"github.com/npusim/npusim/internal/py"
)

// Traces are written at disk speed: rows are formatted straight into a
// reused chunk (integers by appendInt, whole floats as digits and ".0"), and full chunks go to the file on a goroutine of
// their own, so formatting (and the simulation) overlaps the write system
// calls. Each file has two chunks, so a trace's memory is bounded whatever
// its size.

// chunkSize is the size at which a chunk is handed to the writer.
const chunkSize = 256 << 10

// chunkFile is a file written chunk by chunk in the background.
type chunkFile struct {
	f    *os.File
	buf  []byte      // being filled
	done int64       // bytes handed to the writer before buf
	full chan []byte // to the writer goroutine
	free chan []byte // back from it
	errc chan error  // the writer's first error, once full is closed
	err  error       // that error, once flushed
	shut bool        // flushed: the writer has stopped
}

func createChunkFile(path string) (*chunkFile, error) {
	f, err := fileio.CreateNoFollow(path)
	if err != nil {
		return nil, err
	}
	c := &chunkFile{
		f:    f,
		buf:  make([]byte, 0, chunkSize+4096),
		full: make(chan []byte, 1),
		free: make(chan []byte, 2), // room for both chunks: the writer never blocks on it
		errc: make(chan error, 1),
	}
	c.free <- make([]byte, 0, chunkSize+4096)
	go c.write()
	return c, nil
}

func (c *chunkFile) write() {
	var err error
	for b := range c.full {
		if err == nil {
			_, err = c.f.Write(b)
		}
		c.free <- b[:0]
	}
	c.errc <- err
}

// rowDone hands the chunk to the writer once it is full.
func (c *chunkFile) rowDone() {
	if len(c.buf) >= chunkSize {
		c.done += int64(len(c.buf))
		c.full <- c.buf
		c.buf = <-c.free
	}
}

// flush waits until everything appended is in the file; the file stays
// open, the writer stops.
func (c *chunkFile) flush() error {
	if c.shut {
		return c.err
	}
	if len(c.buf) > 0 {
		c.full <- c.buf
		c.buf = nil
	}
	close(c.full)
	c.shut, c.err = true, <-c.errc
	return c.err
}

// Close writes what is left and closes the file.
func (c *chunkFile) Close() error {
	return errors.Join(c.flush(), c.f.Close())
}

// discard stops the writer and closes the file, whatever is left unwritten
// (the file is removed by the caller).
func (c *chunkFile) discard() {
	c.buf = c.buf[:0]
	c.flush()
	c.f.Close()
}

// sramTrace writes a SCALE-Sim SRAM trace (numpy savetxt "%i"): one row
// per cycle of demand, the serve cycle then one address per port, -1 for
// an idle port.
//
// Rows go to path+PartSuffix; the trace takes its final name on Close,
// once every row is written.
type sramTrace struct {
	*chunkFile
	path string
}

func CreateSRAMTrace(path string) (*sramTrace, error) {
	c, err := createChunkFile(path + PartSuffix)
	if err != nil {
		return nil, err
	}
	return &sramTrace{c, path}, nil
}

// Close completes the trace under its final name.
func (t *sramTrace) Close() error {
	if err := t.chunkFile.Close(); err != nil {
		os.Remove(t.path + PartSuffix)
		return err
	}
	return os.Rename(t.path+PartSuffix, t.path)
}

// abort closes the unfinished trace and removes it.
func (t *sramTrace) abort() {
	t.discard()
	os.Remove(t.path + PartSuffix)
}

func (t *sramTrace) Row(cycle int64, addrs []int64) {
	b := appendInt(t.buf, cycle)
	for i := 0; i < len(addrs); {
		if addrs[i] != -1 {
			b = appendInt(append(b, ','), addrs[i])
			i++
			continue
		}
		// a run of idle ports, the commonest entries
		j := i + 1
		for j < len(addrs) && addrs[j] == -1 {
			j++
		}
		for n := j - i; n > 0; n -= idleRun {
			b = append(b, idle[:3*min(n, idleRun)]...)
		}
		i = j
	}
	t.buf = append(b, '\n')
	t.rowDone()
}

// appendInt appends x in decimal, as strconv.AppendInt does, but copies
// the digits four at a time from a table straight into b (strconv formats
// into a scratch array and copies; this is about 1.4x faster).
func appendInt(b []byte, x int64) []byte {
	u := uint64(x)
	if x < 0 {
		b = append(b, '-')
		u = -u
	}
	switch {
	case u < 10:
		return append(b, byte('0'+u))
	case u < 100:
		return append(b, quads[u][2:]...)
	case u < 1000:
		return append(b, quads[u][1:]...)
	case u < 10000:
		return append(b, quads[u][:]...)
	case u < 1e8:
		b = appendInt(b, int64(u/10000))
		return append(b, quads[u%10000][:]...)
	}
	b = appendInt(b, int64(u/1e8)) // below 1e11: two more levels at most
	lo := u % 1e8
	b = append(b, quads[lo/10000][:]...)
	return append(b, quads[lo%10000][:]...)
}

// quads holds the four decimal digits of 0000 to 9999.
var quads = func() (q [10000][4]byte) {
	for i := range q {
		q[i] = [4]byte{byte('0' + i/1000), byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)}
	}
	return q
}()

// dramTrace writes a SCALE-Sim DRAM trace (numpy savetxt "%s" of a float64
// array): the completion cycle then the addresses of one line, all printed
// as Python floats. QUIRK (SCALE-Sim): when lines of different widths meet
// in one trace, the narrower rows are padded with 1.0, so rows go to a
// scratch file first and are padded to the widest on Close.
type dramTrace struct {
	*chunkFile
	path string
	maxW int
	// runs are the stretches of rows of one width, for the padding pass;
	// nil once there are too many to keep, and the pass then counts the
	// commas of every row.
	runs []widthRun
}

// widthRun is a stretch of rows of the same width starting at byte off.
type widthRun struct {
	off   int64
	width int
}

// maxRuns bounds the memory of a DRAM trace's width runs.
const maxRuns = 1 << 14

func CreateDRAMTrace(path string) (*dramTrace, error) {
	c, err := createChunkFile(path + ".rows")
	if err != nil {
		return nil, err
	}
	return &dramTrace{chunkFile: c, path: path, runs: []widthRun{}}, nil
}

func (t *dramTrace) Row(cycle int64, addrs []int64) {
	w := len(addrs)
	t.maxW = max(t.maxW, w)
	if t.runs != nil && (len(t.runs) == 0 || t.runs[len(t.runs)-1].width != w) {
		if len(t.runs) == maxRuns {
			t.runs = nil
		} else {
			t.runs = append(t.runs, widthRun{t.done + int64(len(t.buf)), w})
		}
	}
	b := appendPyInt(t.buf, cycle)
	for _, a := range addrs {
		b = append(b, ',')
		b = appendPyInt(b, a)
	}
	t.buf = append(b, '\n')
	t.rowDone()
}

// appendPyInt appends float64(x) as Python prints it. Integral floats below
// 2^53 in magnitude print as their digits and ".0"; others, which addresses
// never are, go through py.Float.
func appendPyInt(b []byte, x int64) []byte {
	if x > -1<<53 && x < 1<<53 {
		return append(appendInt(b, x), '.', '0')
	}
	return append(b, py.Float(float64(x))...)
}

// abort closes the unfinished trace and removes its scratch file.
func (t *dramTrace) abort() {
	t.discard()
	os.Remove(t.path + ".rows")
}

// Close writes the final file: the scratch rows, padded when widths
// differ (through a PartSuffix file, renamed when complete).
func (t *dramTrace) Close() error {
	if err := t.flush(); err != nil {
		t.f.Close()
		os.Remove(t.path + ".rows")
		return err
	}
	if t.runs != nil && len(t.runs) <= 1 {
		if err := t.f.Close(); err != nil {
			os.Remove(t.path + ".rows")
			return err
		}
		return os.Rename(t.path+".rows", t.path)
	}
	defer os.Remove(t.path + ".rows")
	defer t.f.Close()
	out, err := fileio.CreateNoFollow(t.path + PartSuffix)
	if err != nil {
		return err
	}
	defer os.Remove(t.path + PartSuffix) // a no-op once renamed
	err = t.pad(out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("padding %s: %w", t.path, err)
	}
	return os.Rename(t.path+PartSuffix, t.path)
}

// pad copies the scratch rows to out, padding the narrower ones. Long runs
// of rows at full width are copied by the kernel (copy_file_range), the
// others row by row.
func (t *dramTrace) pad(out *os.File) error {
	end, err := t.f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	runs := t.runs
	if runs == nil {
		runs = []widthRun{{0, -1}}
	}
	w := bufio.NewWriterSize(out, chunkSize)
	scratch := make([]byte, 1<<16)
	padding := []byte(strings.Repeat(",1.0", t.maxW) + "\n")
	for i, r := range runs {
		stop := end
		if i+1 < len(runs) {
			stop = runs[i+1].off
		}
		if r.width == t.maxW && stop-r.off >= kernelCopyMin {
			if err := w.Flush(); err != nil {
				return err
			}
			if _, err := t.f.Seek(r.off, io.SeekStart); err != nil {
				return err
			}
			if _, err := io.CopyN(out, t.f, stop-r.off); err != nil {
				return err
			}
			continue
		}
		sc := bufio.NewScanner(io.NewSectionReader(t.f, r.off, stop-r.off))
		sc.Buffer(scratch, 1<<30)
		for sc.Scan() {
			line := sc.Bytes()
			n := r.width
			if n < 0 {
				n = bytes.Count(line, []byte{','})
			}
			w.Write(line)
			w.Write(padding[4*min(n, t.maxW):])
		}
		if err := sc.Err(); err != nil {
			return err
		}
	}
	return w.Flush()
}

// kernelCopyMin is the shortest run of full-width rows worth a system call
// of its own.
const kernelCopyMin = 1 << 16

// idle is idleRun idle SRAM ports.
const idleRun = 64

var idle = strings.Repeat(",-1", idleRun)
