package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/pipeline"
	"github.com/metaood/metaood/postproc"
	"github.com/metaood/metaood/stream"
)

// TestFlagHint: errors the packages report in their own terms get the flag that fixes them.
func TestFlagHint(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("engine: %w: cuda", infer.ErrProvider), "--provider cpu"},
		{fmt.Errorf("%w: /ro", pipeline.ErrOutDir), "--out"},
		{fmt.Errorf("features: %w", postproc.ErrNotProbabilities), "--logits"},
		{fmt.Errorf("%w: UDP port 8189: in use", stream.ErrListen), "--webrtc-udp-port"},
		{fmt.Errorf("something else"), ""},
	} {
		if got := flagHint(tc.err); (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("flagHint(%v) = %q, want one naming %q", tc.err, got, tc.want)
		}
	}
}

// TestWithHint: the hint is added once, the error still matches its sentinel.
func TestWithHint(t *testing.T) {
	err := withHint(withHint(fmt.Errorf("%w: /ro", pipeline.ErrOutDir)))
	if !errors.Is(err, pipeline.ErrOutDir) || strings.Count(err.Error(), "--out") != 1 {
		t.Errorf("withHint twice: %v", err)
	}
	if withHint(nil) != nil {
		t.Error("withHint(nil) != nil")
	}
}
