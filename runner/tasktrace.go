package runner

import (
	"fmt"
	"os"
	"strings"

	"github.com/npusim/npusim/components"
	"github.com/sarchlab/akita/v3/tracing"
)

// traceTasks attaches akita's CSV tracer, writing file, to the worker's
// accelerator and memory; the returned function completes the file.
func traceTasks(w *worker, file string) (finish func(), err error) {
	base := strings.TrimSuffix(file, ".csv") // akita's writer adds .csv
	// akita's writer panics on a file it cannot create or that exists:
	// fail here with an error instead, and overwrite as the reports do.
	f, err := os.Create(base + ".csv")
	if err != nil {
		return nil, fmt.Errorf("task trace: %w", err)
	}
	f.Close()
	if err := os.Remove(base + ".csv"); err != nil {
		return nil, fmt.Errorf("task trace: %w", err)
	}
	cw := tracing.NewCSVTraceWriter(base)
	cw.Init()
	db := tracing.NewDBTracer(w.engine, cw)
	t := components.SyncTracer(db)
	w.acc.TraceTasks(t)
	if w.ms != nil && w.ms.ctrl != nil {
		// npusim's DRAM model (or fixed): the controller traces each
		// burst's receipt and answer.
		tracing.CollectTrace(w.ms.ctrl, t)
	} else if w.ms != nil {
		for _, a := range w.ms.adapters {
			tracing.CollectTrace(a, t)
		}
		for _, c := range w.ms.mem.Controllers {
			if h, ok := c.(tracing.NamedHookable); ok {
				tracing.CollectTrace(h, t)
			}
		}
	}
	return db.Terminate, nil
}
