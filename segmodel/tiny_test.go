package segmodel

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/metaood/metaood/onnx"
	"github.com/metaood/metaood/synth"
)

// heldOut is synthetic data the embedded model never saw: another drive seed than its
// training drive (1) and frame indices past the recipe's. It picks frames that show anomalies
// (found at a small size: the layout does not depend on the size) so the entropy check has pixels.
func heldOut(t testing.TB, frames int, sizes ...Size) Dataset {
	t.Helper()
	const seed = 1001
	probe := synth.NewDrive(synth.Config{W: 128, H: 64, Seed: seed, Anomalies: true})
	bgr, gt := make([]byte, 3*128*64), make([]uint8, 128*64)
	var idx []int
	for i := 30000; len(idx) < frames && i < 40000; i += 17 {
		probe.Frame(i, bgr, gt)
		if bytes.Count(gt, []byte{LabelUniform}) >= 20 {
			idx = append(idx, i)
		}
	}
	if len(idx) < frames {
		t.Fatalf("found only %d frames with anomalies in drive %d", len(idx), seed)
	}
	ds, err := NewSynthDataset(SynthConfig{Seed: seed, Indices: idx, Sizes: sizes, DriveAnomalies: true})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestTinyHeldOut(t *testing.T) {
	net, err := FromONNX(Tiny())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name           string
		frames, stride int
		sizes          []Size
	}{
		{"small frames", 6, 1, []Size{{256, 128}, {384, 192}}},
		{"default size", 2, 3, []Size{{1024, 512}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := Evaluate(net, heldOut(t, c.frames, c.sizes...), c.stride, 2)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("pixel accuracy %.4f on %d known pixels; entropy known %.3f, anomaly %.3f on %d pixels; ≥0.7: known %d, anomaly %d",
				rep.Accuracy, rep.Known, rep.EntropyKnown, rep.EntropyAnomaly, rep.Anomaly, rep.KnownAbove, rep.AnomalyAbove)
			if rep.Accuracy < 0.9 {
				t.Errorf("held-out pixel accuracy on known classes %.4f < 0.9", rep.Accuracy)
			}
			if rep.Anomaly == 0 {
				t.Fatal("held-out frames have no anomaly pixels: the entropy check would be empty")
			}
			if !(rep.EntropyAnomaly > rep.EntropyKnown+0.5) {
				t.Errorf("mean entropy on anomalies %.3f is not markedly above known pixels %.3f", rep.EntropyAnomaly, rep.EntropyKnown)
			}
			if fp := float64(rep.KnownAbove) / float64(rep.Known); fp > 0.02 {
				t.Errorf("%.3f of known pixels have entropy ≥ %g (want ≤ 0.02)", fp, EntropyThreshold)
			}
		})
	}
}

func TestTinyContract(t *testing.T) {
	m, err := onnx.Load(Tiny())
	if err != nil {
		t.Fatal(err)
	}
	if in, out := m.Inputs(), m.Outputs(); len(in) != 1 || in[0] != InputName || len(out) != 1 || out[0] != OutputName {
		t.Fatalf("inputs %v outputs %v, want [%s] [%s]", in, out, InputName, OutputName)
	}
	want := map[string][]string{InputName: {"N", "3", "H", "W"}, OutputName: {"N", "19", "H", "W"}}
	g := m.Proto.GetGraph()
	for _, v := range append(g.GetInput(), g.GetOutput()...) {
		var got []string
		for _, d := range v.GetType().GetTensorType().GetShape().GetDim() {
			if p := d.GetDimParam(); p != "" {
				got = append(got, p)
			} else {
				got = append(got, strconv.FormatInt(d.GetDimValue(), 10))
			}
		}
		w := want[v.GetName()]
		if !slices.Equal(got, w) {
			t.Errorf("%s dims %v, want %v (N, H, W dynamic)", v.GetName(), got, w)
		}
	}
	for _, key := range []string{"metaood.train", "metaood.heldout_pixel_accuracy", "metaood.heldout_entropy_anomaly"} {
		if v, ok := m.Metadata(key); !ok || v == "" {
			t.Errorf("metadata %q missing: the embedded model must record how it was made", key)
		}
	}
}

// TestMakeReproducible runs a miniature recipe twice: same seed, same bytes.
func TestMakeReproducible(t *testing.T) {
	r := DefaultRecipe(3)
	r.TrainData.Frames, r.TrainData.Proxies, r.TrainData.Sizes = 3, 2, []Size{{128, 64}}
	r.EvalData.Frames, r.EvalData.Sizes = 1, []Size{{128, 64}}
	r.Train.PerImage, r.Train.Epochs, r.Train.Batch = 400, 1, 64
	a, err := Make(r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Make(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Model, b.Model) {
		t.Fatal("Make with the same recipe gave different models")
	}
	if a.Train.Uniform == 0 || math.IsNaN(a.Eval.Accuracy) {
		t.Fatalf("train stats %+v, eval accuracy %g: proxies or evaluation missing", a.Train, a.Eval.Accuracy)
	}
	back, err := FromONNX(a.Model)
	if err != nil {
		t.Fatal(err)
	}
	if back.H1 != r.Train.H1 || back.H2 != r.Train.H2 {
		t.Fatalf("hidden sizes %d, %d, want %d, %d", back.H1, back.H2, r.Train.H1, r.Train.H2)
	}
}

func TestSynthConfigErrors(t *testing.T) {
	ok := SynthConfig{Seed: 1, Frames: 1, Sizes: []Size{{64, 32}}}
	cases := []struct {
		name   string
		modify func(c *SynthConfig)
	}{
		{"no images", func(c *SynthConfig) { c.Frames = 0 }},
		{"negative frames", func(c *SynthConfig) { c.Frames = -1 }},
		{"no sizes", func(c *SynthConfig) { c.Sizes = nil }},
		{"too small", func(c *SynthConfig) { c.Sizes = []Size{{8, 8}} }},
		{"proxy share", func(c *SynthConfig) { c.Proxies, c.ProxyShare = 1, 0 }},
		{"negative index", func(c *SynthConfig) { c.Indices = []int{3, -1} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.modify(&cfg)
			if _, err := NewSynthDataset(cfg); !errors.Is(err, ErrConfig) {
				t.Fatalf("NewSynthDataset error = %v, want ErrConfig", err)
			}
		})
	}
	if _, err := NewSynthDataset(ok); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
}

func BenchmarkComputeFeatures1024x512(b *testing.B) {
	rgb := make([]float32, 3*512*1024)
	for i := range rgb {
		rgb[i] = float32(i%251) / 251
	}
	var f Features
	for b.Loop() {
		if err := ComputeFeatures(rgb, 512, 1024, &f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkForwardGo256x128(b *testing.B) {
	net, err := FromONNX(Tiny())
	if err != nil {
		b.Fatal(err)
	}
	rgb := make([]float32, 3*128*256)
	var logits []float32
	for b.Loop() {
		if logits, err = net.Forward(rgb, 128, 256, logits); err != nil {
			b.Fatal(err)
		}
	}
}
