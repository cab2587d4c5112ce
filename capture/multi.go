package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/metaood/metaood/frame"
)

// OpenAll opens several sources (a test rig has several cameras) with the same options; ids
// that collide get a "#2", "#3" … suffix. On error the sources already opened are dropped.
func OpenAll(specs []string, opts Options, log *slog.Logger) ([]frame.Source, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("%w: no source given; %s", ErrSpec, specHelp)
	}
	seen := map[string]int{}
	srcs := make([]frame.Source, 0, len(specs))
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

// ReadAll opens src once and reads up to max frames (0 = to the end) into memory, for tools
// that need a clip's frames (bench, tests). The end of the stream is not an error; a failure
// after some frames returns those frames and the error.
func ReadAll(ctx context.Context, src frame.Source, max int) ([]*frame.Frame, error) {
	st, err := src.Open()
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var frames []*frame.Frame
	for (max == 0 || len(frames) < max) && ctx.Err() == nil {
		f, err := st.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return frames, err
		}
		frames = append(frames, f)
	}
	return frames, ctx.Err()
}
