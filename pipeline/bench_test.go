package pipeline

import (
	"context"
	"testing"

	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/postproc"
)

// BenchmarkPipelineOverhead measures the wiring's cost per frame with instant fake stages.
func BenchmarkPipelineOverhead(b *testing.B) {
	src := &fakeSource{id: "s", n: b.N, w: 16, h: 8}
	b.ResetTimer()
	sum, err := Run(context.Background(), Config{Sources: []frame.Source{src}, Segmenter: &fakeSeg{failAt: -1},
		Analyzer: instantAnalyzer{}, Classifier: fakeClf{}, StatsEvery: -1})
	if err != nil || int(sum.Frames) != b.N {
		b.Fatalf("frames %d, err %v", sum.Frames, err)
	}
}

type instantAnalyzer struct{}

func (instantAnalyzer) Analyze(m *frame.Map) (*postproc.Result, error) {
	return &postproc.Result{H: m.H, W: m.W, Entropy: m.Data[:m.H*m.W]}, nil
}
