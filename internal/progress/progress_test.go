package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/schollz/progressbar/v3"
)

// syncBuffer is a bytes.Buffer safe for the ticker's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls out until it holds want (the ticker runs on its own
// goroutine, late on a busy machine).
func waitFor(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), want); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the log never showed %q: %q", want, out.String())
		}
	}
}

// TestLinesFromBar drives a real progress bar into Lines: the log gets
// one plain line (no carriage return, no escape) for the state the bar
// drew last (3 of 4: the bar clears itself instead of drawing 4 of 4),
// and Close adds nothing.
func TestLinesFromBar(t *testing.T) {
	var out syncBuffer
	l := NewLines(&out, 5*time.Millisecond)
	bar := progressbar.NewOptions(4, progressbar.OptionSetWriter(l), progressbar.OptionSetDescription("sweep"),
		progressbar.OptionShowCount(), progressbar.OptionSetRenderBlankState(true), progressbar.OptionClearOnFinish())
	for range 4 {
		bar.Add(1)
	}
	bar.Finish()
	waitFor(t, &out, "\n")
	time.Sleep(50 * time.Millisecond) // more ticks: nothing new to write
	l.Close()
	got := out.String()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "sweep  75%") || !strings.Contains(lines[0], "| (3/4) [") || strings.ContainsAny(got, "\r\x1b") {
		t.Errorf("log %q, want one line: sweep  75%% ... (3/4) [...]", got)
	}
}

// TestLinesEvery checks that a changing state is written at the next
// tick, and an unchanged or blank one is not.
func TestLinesEvery(t *testing.T) {
	var out syncBuffer
	l := NewLines(&out, 5*time.Millisecond)
	l.Write([]byte("\r\x1b[2K 1 of 3 \x1b[0m"))
	waitFor(t, &out, "1 of 3\n")
	l.Write([]byte("\r 2 of 3"))
	waitFor(t, &out, "2 of 3\n")
	l.Write([]byte("\r      \r"))
	time.Sleep(50 * time.Millisecond)
	l.Close()
	if got := out.String(); got != "1 of 3\n2 of 3\n" {
		t.Errorf("log %q, want \"1 of 3\\n2 of 3\\n\"", got)
	}
}
