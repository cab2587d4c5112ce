package capture

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/metaood/metaood/frame"
)

// OpenAll opens several sources (a test rig has several cameras) with the same options; ids
// that collide get a "#2", "#3" … suffix. On error the sources already opened are dropped.
func OpenAll(specs []string, opts Options, log *slog.Logger) ([]Source, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("%w: no source given; %s", ErrSpec, specHelp)
	}
	seen := map[string]int{}
	srcs := make([]Source, 0, len(specs))
	for _, spec := range specs {
		sp, err := parseSpec(spec)
		if err != nil {
			return nil, err
		}
		o := opts
		if len(specs) > 1 || o.ID == "" { // Options.ID names a single source only
			o.ID = sp.id
		}
		if seen[o.ID]++; seen[o.ID] > 1 {
			o.ID = fmt.Sprintf("%s#%d", o.ID, seen[o.ID])
		}
		s, err := Open(spec, o, log)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s)
	}
	return srcs, nil
}

// RunAll runs every source into out concurrently and returns when all have ended, with their
// errors joined (one failing source does not stop the others). It closes nothing.
func RunAll(ctx context.Context, srcs []Source, out chan<- *frame.Frame) error {
	var wg sync.WaitGroup
	errs := make([]error, len(srcs))
	for i, s := range srcs {
		wg.Go(func() {
			if err := s.Run(ctx, out); err != nil {
				errs[i] = fmt.Errorf("source %s: %w", s.ID(), err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
