// Package progress turns a progress bar meant for a terminal into plain
// lines for a log file (a batch job's output, a pipe): the bar redraws
// itself in place with carriage returns, which a log shows as one
// growing line, or, when the bar is cleared at the end, not at all.
package progress

import (
	"io"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Lines is an io.Writer for a progress bar (progressbar.OptionSetWriter)
// that writes the bar's latest state to a log as a plain line at a fixed
// interval, when it has changed. Close writes nothing more: the bar's
// last state is stale by then (a throttled bar may never have drawn its
// end), and the caller prints how the run ended.
type Lines struct {
	w     io.Writer
	mu    sync.Mutex
	frame []byte // what has been drawn since the last carriage return
	last  string // the latest complete frame
	shown string // the last line written
	stop  chan struct{}
	done  chan struct{}
}

// NewLines starts writing the bar's state to w every interval.
func NewLines(w io.Writer, every time.Duration) *Lines {
	l := &Lines{w: w, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.flush()
			case <-l.stop:
				return
			}
		}
	}()
	return l
}

// Write takes what the bar draws: each frame starts with a carriage
// return.
func (l *Lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range p {
		if b == '\r' || b == '\n' {
			l.endFrame()
			continue
		}
		if len(l.frame) < 4096 {
			l.frame = append(l.frame, b)
		}
	}
	return len(p), nil
}

// endFrame keeps the frame drawn so far if it shows something (the bar
// clears itself with a frame of spaces).
func (l *Lines) endFrame() {
	if s := clean(l.frame); s != "" {
		l.last = s
	}
	l.frame = l.frame[:0]
}

// flush writes the latest frame if it is new.
func (l *Lines) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.endFrame()
	if l.last != "" && l.last != l.shown {
		io.WriteString(l.w, l.last+"\n")
		l.shown = l.last
	}
}

// Close stops the ticker.
func (l *Lines) Close() error {
	close(l.stop)
	<-l.done
	return nil
}

// clean drops ANSI escape sequences and control characters and trims
// the frame.
func clean(frame []byte) string {
	var b strings.Builder
	for i := 0; i < len(frame); i++ {
		c := frame[i]
		if c == 0x1b { // ESC [ ... final byte
			i++
			if i < len(frame) && frame[i] == '[' {
				for i+1 < len(frame) && !(frame[i+1] >= 0x40 && frame[i+1] <= 0x7e) {
					i++
				}
				i++
			}
			continue
		}
		if c < 0x20 || c == 0x7f {
			continue
		}
		b.WriteByte(c)
	}
	return strings.TrimFunc(b.String(), unicode.IsSpace)
}
