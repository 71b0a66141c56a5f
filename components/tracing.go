package components

import (
	"sync"

	"github.com/sarchlab/akita/v3/tracing"
)

// SyncTracer makes t safe to call from several goroutines at once, as
// akita's parallel engine does when components traced by one tracer tick
// at the same instant (akita's DBTracer keeps its open tasks in a map).
func SyncTracer(t tracing.Tracer) tracing.Tracer { return &syncTracer{t: t} }

type syncTracer struct {
	mu sync.Mutex
	t  tracing.Tracer
}

func (s *syncTracer) StartTask(task tracing.Task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.StartTask(task)
}

func (s *syncTracer) StepTask(task tracing.Task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.StepTask(task)
}

func (s *syncTracer) EndTask(task tracing.Task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.EndTask(task)
}

// TraceTasks attaches t to the accelerator's array, buffers and ideal DRAM
// channels. They trace one task tree per layer: the layer, its folds
// under it, each burst under the fold (or the layer) that was being served
// when the buffer queued it, and the channel's "req_in" under the burst. A
// memory behind dram.Adapters continues the tree: attach t to the adapters
// and to akita's memory controllers too (the adapter's "req_in" under the
// burst, one "req_out" per memory request under that, and the
// controller's "req_in" under the request). On akita's parallel engine,
// wrap t in SyncTracer.
func (acc *Accelerator) TraceTasks(t tracing.Tracer) {
	for _, c := range []tracing.NamedHookable{acc.Array, acc.Ifmap, acc.Filter, acc.Ofmap} {
		tracing.CollectTrace(c, t)
	}
	for _, ch := range acc.DRAM {
		if ch != nil {
			tracing.CollectTrace(ch, t)
		}
	}
}
