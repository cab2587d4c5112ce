package segmodel

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// blocks is a fake Dataset: 48×32 images of 8×8 blocks, each block a known class with its own
// noisy colour, or (label LabelUniform) a block of random saturated colour, like a pasted object.
type blocks struct{ n int }

var blockColours = [4][3]float64{{100, 100, 105}, {60, 120, 40}, {220, 160, 100}, {150, 80, 60}}

func (b blocks) Len() int { return b.n }

func (b blocks) Image(k int, img *Image) {
	const w, h = 48, 32
	img.W, img.H = w, h
	img.BGR = make([]byte, 3*w*h)
	img.GT = make([]uint8, w*h)
	rng := rand.New(rand.NewPCG(uint64(k), 77))
	for by := 0; by < h; by += 8 {
		for bx := 0; bx < w; bx += 8 {
			label := uint8(rng.IntN(len(blockColours)))
			col := blockColours[label]
			if rng.IntN(6) == 0 {
				label = LabelUniform
				col = [3]float64{float64(rng.IntN(2) * 255), float64(rng.IntN(2) * 255), 255 * rng.Float64()}
			}
			for y := by; y < by+8; y++ {
				for x := bx; x < bx+8; x++ {
					p := y*w + x
					img.GT[p] = label
					for c := range 3 {
						v := col[c] + 12*rng.NormFloat64()
						img.BGR[3*p+2-c] = uint8(min(max(v, 0), 255))
					}
				}
			}
		}
	}
	img.GT[0] = LabelIgnore
}

func TestTrainLearnsAndIsDeterministic(t *testing.T) {
	cfg := TrainConfig{Seed: 5, H1: 12, H2: 12, PerImage: 300, Epochs: 4, Batch: 64, LR: 1e-2, Workers: 2}
	net, st, err := Train(blocks{24}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Uniform == 0 || st.Samples != 24*300 {
		t.Fatalf("stats %+v: want 7200 samples including uniform-target ones", st)
	}
	rep, err := Evaluate(net, blocks{30}, 1, 2) // images 24..29 were not trained on
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("accuracy %.3f, entropy known %.3f anomaly %.3f", rep.Accuracy, rep.EntropyKnown, rep.EntropyAnomaly)
	if rep.Accuracy < 0.9 {
		t.Errorf("accuracy %.3f < 0.9 on an easy dataset", rep.Accuracy)
	}
	if !(rep.EntropyAnomaly > rep.EntropyKnown+0.3) {
		t.Errorf("entropy on uniform-target pixels %.3f is not well above known %.3f", rep.EntropyAnomaly, rep.EntropyKnown)
	}
	cfg.Workers = 1
	again, _, err := Train(blocks{24}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range params(net) {
		if !slices.Equal(p, params(again)[i]) {
			t.Fatalf("training is not deterministic across worker counts (param %d differs)", i)
		}
	}
}

func TestTrainConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  TrainConfig
	}{
		{"alpha 1", TrainConfig{Alpha: 1}},
		{"negative epochs", TrainConfig{Epochs: -1}},
		{"negative lr", TrainConfig{LR: -1}},
		{"valid share", TrainConfig{ValidFrac: 0.7}},
		{"batch larger than data", TrainConfig{PerImage: 10, Batch: 1000}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, _, err := Train(blocks{2}, c.cfg); !errors.Is(err, ErrConfig) {
				t.Fatalf("Train error = %v, want ErrConfig", err)
			}
		})
	}
}

func BenchmarkBackprop(b *testing.B) {
	n := NewNet(16, 16, 1)
	s := &samples{x: make([]float32, 256*NumFeatures), y: make([]uint8, 256)}
	for i := range s.y {
		s.y[i] = uint8(i % Classes)
	}
	idx := make([]int, 256)
	for i := range idx {
		idx[i] = i
	}
	g := zeroLike(n)
	for b.Loop() {
		backprop(n, g, s, idx, 0.9)
	}
}
