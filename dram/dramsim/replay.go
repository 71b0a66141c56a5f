package dramsim

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Request is one line of a request trace: a byte address, its kind and the
// memory cycle it arrives.
type Request struct {
	Addr    uint64
	Write   bool
	Arrival int64
}

// Result is when the memory accepted a request and when it completed.
type Result struct {
	Accept, Done int64
}

// ReadTrace reads a trace file (see ParseTrace).
func ReadTrace(file string) ([]Request, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseTrace(file, f)
}

// ParseTrace reads a request trace in DRAMsim3's format, one request a
// line: `<hex address> READ|WRITE <arrival cycle>` (the address with or
// without 0x), arrivals in increasing order. Blank lines and lines starting
// with # are skipped. An error names the file (name), the line and what is
// wrong with it.
func ParseTrace(name string, r io.Reader) ([]Request, error) {
	var reqs []Request
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	last := int64(0)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 || text[0] == '#' {
			continue
		}
		f := strings.Fields(string(text))
		if len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: want `<hex address> READ|WRITE <arrival cycle>`, got %d fields", name, line, len(f))
		}
		a := strings.TrimPrefix(strings.TrimPrefix(f[0], "0x"), "0X")
		addr, err := strconv.ParseUint(a, 16, 64)
		if err != nil || a == "" {
			return nil, fmt.Errorf("%s:%d: address %q is not a hexadecimal byte address", name, line, f[0])
		}
		var write bool
		switch f[1] {
		case "READ":
			write = false
		case "WRITE":
			write = true
		default:
			return nil, fmt.Errorf("%s:%d: operation %q is neither READ nor WRITE", name, line, f[1])
		}
		arr, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || arr < 0 || arr > 1<<52 {
			return nil, fmt.Errorf("%s:%d: arrival %q is not a cycle (a non-negative integer)", name, line, f[2])
		}
		if arr < last {
			return nil, fmt.Errorf("%s:%d: arrival %d is earlier than the previous request's %d (the trace must be sorted by arrival)", name, line, arr, last)
		}
		last = arr
		reqs = append(reqs, Request{Addr: addr, Write: write, Arrival: arr})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return reqs, nil
}

// ReplayOptions changes how Replay runs.
type ReplayOptions struct {
	// StopOnLivelock reports DRAMsim3's livelock as an error instead of
	// breaking it (see the package comment).
	StopOnLivelock bool
	noSkip         bool // tests: evaluate every cycle
}

// Replay runs a trace through a fresh memory the way DRAMsim3's trace
// driver does (R1.2): in each cycle the memory ticks first, then requests
// are offered in trace order from their arrival on, a refused request
// holding back every later one. It returns, for each request, the cycle it
// was accepted and the cycle its completion callback fired, matching reads
// to callbacks by address in acceptance order as the driver does (R1.3),
// and the memory's statistics.
func Replay(cfg *Config, reqs []Request, opt ReplayOptions) ([]Result, Stats, error) {
	m := NewModel(cfg)
	m.StopOnLivelock = opt.StopOnLivelock
	m.noSkip = opt.noSkip
	res := make([]Result, len(reqs))
	m.OnRead = func(id, done int64) { res[id].Done = done }
	var forwarded map[uint64]bool
	head := 0
	t := int64(0)
	for {
		m.Tick(t)
		if err := m.Err(); err != nil {
			return nil, m.Stats(), fmt.Errorf("%w (after accepting %d of %d requests)", err, head, len(reqs))
		}
		for head < len(reqs) && reqs[head].Arrival <= t && m.WillAccept(reqs[head].Addr, reqs[head].Write) {
			r := reqs[head]
			res[head].Accept = t
			if done, known := m.Add(r.Addr, r.Write, int64(head), t); known {
				res[head].Done = done
				if !r.Write { // served from the write buffer
					if forwarded == nil {
						forwarded = map[uint64]bool{}
					}
					forwarded[r.Addr] = true
				}
			}
			head++
		}
		if head == len(reqs) && m.Waiting() == 0 {
			break
		}
		next := m.NextCycle(t)
		if head < len(reqs) && reqs[head].Arrival > t {
			next = min(next, reqs[head].Arrival)
		}
		busy := m.Waiting() > 0 || (head < len(reqs) && reqs[head].Arrival <= t)
		if next == never || (busy && next-m.Progress() > NoProgressLimit) {
			return nil, m.Stats(), fmt.Errorf("no progress since cycle %d with %d of %d requests accepted: the config's timings leave no room to serve them (is tREFI - tRFC shorter than an activate and a read?)", m.Progress(), head, len(reqs))
		}
		if next <= t {
			// A model that cannot name a later cycle would spin here.
			return nil, m.Stats(), fmt.Errorf("internal error at cycle %d: the memory's next cycle is %d", t, next)
		}
		t = next
	}
	matchForwarded(reqs, res, forwarded)
	return res, m.Stats(), nil
}

// matchForwarded applies R1.3 where it matters: the driver hands the k-th
// read callback of an address to the k-th read of that address it
// accepted. Completion times of one address only come out of order when a
// read was served from the write buffer, so only those addresses are
// re-matched.
func matchForwarded(reqs []Request, res []Result, addrs map[uint64]bool) {
	if len(addrs) == 0 {
		return
	}
	idx := map[uint64][]int{}
	for i, r := range reqs {
		if !r.Write && addrs[r.Addr] {
			idx[r.Addr] = append(idx[r.Addr], i)
		}
	}
	for _, is := range idx {
		done := make([]int64, len(is))
		for k, i := range is {
			done[k] = res[i].Done
		}
		slices.Sort(done)
		for k, i := range is {
			res[i].Done = done[k]
		}
	}
}

// WriteCSV writes results as `index,addr,op,arrival,accept,done`, the
// golden files' format.
func WriteCSV(w io.Writer, reqs []Request, res []Result) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("index,addr,op,arrival,accept,done\n")
	buf := make([]byte, 0, 64)
	for i, r := range reqs {
		buf = buf[:0]
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, ",0x"...)
		buf = strconv.AppendUint(buf, r.Addr, 16)
		if r.Write {
			buf = append(buf, ",W,"...)
		} else {
			buf = append(buf, ",R,"...)
		}
		buf = strconv.AppendInt(buf, r.Arrival, 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, res[i].Accept, 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, res[i].Done, 10)
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	return bw.Flush()
}
