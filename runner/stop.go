package runner

import (
	"context"
	"fmt"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
)

// errStopped is matched by the error of a run whose Options.Context was
// done; the error also wraps the context's cause.
var errStopped = report.ErrStopped

// stopError is a run stopped by its context: it reads as the context's
// cause (e.g. "interrupted by SIGINT") and matches both errStopped and the
// cause.
type stopError struct{ cause error }

func (e stopError) Error() string { return e.cause.Error() }

func (e stopError) Is(target error) bool { return target == errStopped }

func (e stopError) Unwrap() error { return e.cause }

// stopper stops a layer's simulation at the engine's next event once its
// context is done: the hook panics with stopPanic, which runLayer turns
// back into an error. (akita's serial engine has no way to leave Run
// early; the accelerator is not used again after a stop.)
type stopper struct {
	ctx  context.Context
	done <-chan struct{}
}

type stopPanic struct{}

// watch makes engine stop once ctx is done; a nil ctx never stops, and a
// nil engine is only checked between layers.
func watch(ctx context.Context, engine sim.Engine) *stopper {
	s := &stopper{ctx: ctx}
	if ctx == nil {
		return s
	}
	s.done = ctx.Done()
	if engine != nil {
		engine.AcceptHook(s)
	}
	return s
}

// Func is the engine hook: it runs before (and after) every event.
func (s *stopper) Func(sim.HookCtx) {
	select {
	case <-s.done:
		panic(stopPanic{})
	default:
	}
}

// err is the run's stop error, or nil while it may go on.
func (s *stopper) err() error {
	if s.ctx == nil || s.ctx.Err() == nil {
		return nil
	}
	return stopError{context.Cause(s.ctx)}
}

// runLayer runs layer i as runLayer does, returning the stop error if the
// context is done before or while it runs.
func (s *stopper) runLayer(acc *components.Accelerator, i int, l systolic.Layer) (report.Layer, error) {
	var rep report.Layer
	err := s.guard(i, l, func() (err error) { rep, err = runLayer(acc, i, l); return err })
	return rep, err
}

// guard runs f, the simulation of layer i, unless the context is done, and
// turns a stop while it runs into the stop error.
func (s *stopper) guard(i int, l systolic.Layer, f func() error) (err error) {
	if err := s.err(); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stopPanic); !ok {
				panic(r)
			}
			err = s.err()
			if err == nil {
				err = fmt.Errorf("layer %d (%s): stopped", i, l.Name)
			}
		}
	}()
	return f()
}

// guardVector is guard for vector layer i.
func (s *stopper) guardVector(i int, name string, f func() error) error {
	return s.guard(i, systolic.Layer{Name: "vector " + name}, f)
}
