package infer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/metaood/metaood/frame"
)

// maxFailedRuns is how many consecutive all-failing batches Run tolerates before it gives up
// (a per-frame error is counted, not fatal; a broken session is).
const maxFailedRuns = 10

// Run is the pipeline stage: it takes the frames already queued on in, up to the batch size,
// without ever waiting for a full batch, runs them, and sends one Output per frame to out in
// input order. A frame that fails (runtime error, NaN output) is logged, counted and skipped.
// Run closes out when it returns: nil when in is closed and drained, ctx.Err() when cancelled,
// or an error when the model breaks its contract or keeps failing.
func (e *Engine) Run(ctx context.Context, in <-chan *frame.Frame, out chan<- *Output) error {
	defer close(out)
	batch := make([]*frame.Frame, 0, e.maxBatch())
	failedRuns := 0
	var skipped int
	lastWarn := time.Time{}
	defer func() {
		if skipped > 0 {
			e.log.Warn("frames skipped", "count", skipped)
		}
	}()
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return ctx.Err()
		case f, ok := <-in:
			if !ok {
				return nil
			}
			batch = append(batch, f)
		}
		inClosed := false
	fill: // whatever is already queued, never wait for more
		for len(batch) < cap(batch) {
			select {
			case f, ok := <-in:
				if !ok {
					inClosed = true
					break fill
				}
				batch = append(batch, f)
			default:
				break fill
			}
		}
		outs, errs, fatal := e.infer(batch)
		if fatal != nil {
			releaseAll(outs)
			return fatal
		}
		nerr := 0
		var firstErr error
		for i, err := range errs {
			if err != nil {
				nerr++
				skipped++
				if firstErr == nil {
					firstErr = fmt.Errorf("frame %s/%d: %w", batch[i].Source, batch[i].Seq, err)
				}
			}
		}
		if firstErr != nil && time.Since(lastWarn) > time.Second { // summarise, do not flood
			e.log.Warn("frames skipped", "count", skipped, "last", firstErr)
			lastWarn, skipped = time.Now(), 0
		}
		if nerr == len(batch) && !allNonFinite(errs) {
			if failedRuns++; failedRuns >= maxFailedRuns {
				return fmt.Errorf("%w: %d batches in a row failed; last: %w", ErrRun, failedRuns, firstErr)
			}
		} else {
			failedRuns = 0
		}
		for i, o := range outs {
			if o == nil {
				continue
			}
			select {
			case out <- o:
			case <-ctx.Done():
				releaseAll(outs[i:])
				return ctx.Err()
			}
		}
		if inClosed {
			return nil
		}
	}
}

func releaseAll(outs []*Output) {
	for _, o := range outs {
		if o != nil {
			o.Release()
		}
	}
}

// allNonFinite tells bad frames (NaN output: the model is fine, keep going) from a failing session.
func allNonFinite(errs []error) bool {
	for _, err := range errs {
		if err != nil && !errors.Is(err, ErrNonFinite) {
			return false
		}
	}
	return true
}
