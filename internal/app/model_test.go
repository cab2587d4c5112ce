package app

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/internal/sharedtest"
	"github.com/metaood/metaood/internal/syncbuf"
	"github.com/metaood/metaood/metaclf"
	"github.com/metaood/metaood/pipeline"
	"github.com/metaood/metaood/segmodel"
)

const espnetv2 = "models/espnetv2_s2.0_cityscapes_512x1024_rgb01.onnx"

// clfRecording is the built-in classifier recording sha and map size w×h instead (sha "" and w 0:
// nothing, like a file written before the fields existed).
func clfRecording(t *testing.T, sha string, w, h int) *metaclf.Model {
	t.Helper()
	f := metaclf.Default().File()
	f.ModelSHA256, f.MapSize = sha, nil
	if w > 0 {
		f.MapSize = []int{w, h}
	}
	m, err := metaclf.New(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// writeClassifier saves m to path.
func writeClassifier(t *testing.T, m *metaclf.Model, path string) {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func logTo(b *syncBuffer) *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// TestClassifierFit: the checks of a classifier against the model in use (sha256 of its bytes)
// and the maps it produces: a match passes silently, a mismatch is one-line error naming both sides
// and the fix, --force turns it into a warning, and a file that records nothing gets a warning.
func TestClassifierFit(t *testing.T) {
	sha := metaclf.ModelHash([]byte("model A"))
	other := metaclf.ModelHash([]byte("model B"))
	model := segModelFile{path: "/models/a.onnx", sha: sha}
	cases := []struct {
		name    string
		clf     *metaclf.Model
		force   bool
		w, h    int // maps the model produces
		err     []string
		warning []string
	}{
		{"match", clfRecording(t, sha, 1024, 512), false, 1024, 512, nil, nil},
		{"sha mismatch", clfRecording(t, other, 1024, 512), false, 1024, 512,
			[]string{"clf.json was trained for the model with sha256 " + other, "not for /models/a.onnx (sha256 " + sha + ")",
				"metaood calib dataset", "metaood calib train", "/models/a.metaclf.json", "--force"}, nil},
		{"sha mismatch, built-in model", clfRecording(t, metaclf.ModelHash(segmodel.Tiny()), 1024, 512), false, 1024, 512,
			[]string{"trained for the built-in tiny model (sha256 " + metaclf.ModelHash(segmodel.Tiny()) + ")"}, nil},
		{"size mismatch", clfRecording(t, sha, 1024, 512), false, 2048, 1024,
			[]string{"clf.json was trained on 1024x512 class maps", "/models/a.onnx produces 2048x1024 maps", "--force"}, nil},
		{"no record", clfRecording(t, "", 0, 0), false, 2048, 1024, nil,
			[]string{"records no segmentation model", "not known to fit", "metaood calib train"}},
		{"no map size", clfRecording(t, sha, 0, 0), false, 2048, 1024, nil, []string{"records no map size", "2048x1024"}},
		{"force sha", clfRecording(t, other, 1024, 512), true, 1024, 512, nil, []string{"--force", "sha256 " + other, "sha256 " + sha}},
		{"force size", clfRecording(t, sha, 1024, 512), true, 512, 256, nil, []string{"--force", "1024x512", "512x256"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			fit := clfFit{clf: tc.clf, clfName: "clf.json", model: model, force: tc.force, log: logTo(&logs)}
			err := errors.Join(fit.checkModel(), fit.checkMapSize(tc.w, tc.h, ""))
			if tc.err == nil && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.err != nil {
				if !errors.Is(err, errClassifierFit) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v, want one errClassifierFit line", err)
				}
				for _, s := range tc.err {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error lacks %q:\n%v", s, err)
					}
				}
			}
			if tc.warning == nil && strings.Contains(logs.String(), "WARN") {
				t.Errorf("unexpected warning:\n%s", logs.String())
			}
			for _, s := range tc.warning {
				if !strings.Contains(logs.String(), s) || !strings.Contains(logs.String(), "WARN") {
					t.Errorf("no warning with %q:\n%s", s, logs.String())
				}
			}
		})
	}
}

// TestRunRefusesBuiltinClassifierWithRealModel is the failure a user hit: ESPNetv2 with the built-in
// classifier (made for the tiny model) rejected every component. Now the run refuses at once, before
// ONNX Runtime loads the model, naming both models and the fix; --force would run it anyway.
func TestRunRefusesBuiltinClassifierWithRealModel(t *testing.T) {
	model := sharedtest.Path(t, espnetv2)
	c := config.Default()
	c.Model, c.Classes = model, 19
	c.Out = filepath.Join(t.TempDir(), "out")
	t0 := time.Now()
	_, _, err := Run(t.Context(), c, Options{})
	if !errors.Is(err, errClassifierFit) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want one errClassifierFit line", err)
	}
	data, _ := os.ReadFile(model)
	for _, s := range []string{"the built-in classifier", "built-in tiny model (sha256 " + metaclf.ModelHash(segmodel.Tiny()),
		model + " (sha256 " + metaclf.ModelHash(data) + ")", "metaood calib dataset", "--force"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q:\n%v", s, err)
		}
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("refused after %v: it should not load the model into ONNX Runtime first", d)
	}
}

// TestClassifierBesideModel: with --model DIR/NAME.onnx and no --classifier, DIR/NAME.metaclf.json
// is used when it exists (and said so in the log); --classifier overrides it; without one the
// built-in classifier is checked against the model.
func TestClassifierBesideModel(t *testing.T) {
	needORT(t)
	dir := t.TempDir()
	model := filepath.Join(dir, "net.onnx")
	if err := os.WriteFile(model, segmodel.Tiny(), 0o644); err != nil { // the tiny model under another name
		t.Fatal(err)
	}
	beside := filepath.Join(dir, "net.metaclf.json")
	f := metaclf.Default().File()
	thr := 0.9
	f.Threshold = &thr
	m, err := metaclf.New(f)
	if err != nil {
		t.Fatal(err)
	}
	writeClassifier(t, m, beside)
	stranger := filepath.Join(dir, "other.json") // trained for another model
	writeClassifier(t, clfRecording(t, metaclf.ModelHash([]byte("x")), 1024, 512), stranger)

	setup := func(c config.Run) (metaclf.Decider, string, error) {
		var logs syncBuffer
		m, err := OpenModel(c, nil, logTo(&logs))
		if err != nil {
			return nil, logs.String(), err
		}
		m.Engine.Close()
		return m.Classifier, logs.String(), nil
	}
	c := config.Default()
	c.Model = model
	clf, logs, err := setup(c)
	if err != nil || clf.Threshold() != 0.9 || !strings.Contains(logs, "found beside the model") || !strings.Contains(logs, beside) {
		t.Fatalf("beside: err %v, threshold %v, log:\n%s", err, clf.Threshold(), logs)
	}
	c.Classifier = stranger // --classifier wins, and is checked
	if _, _, err = setup(c); !errors.Is(err, errClassifierFit) || !strings.Contains(err.Error(), "other.json") {
		t.Fatalf("--classifier over the one beside: %v", err)
	}
	os.Remove(beside) // none beside: the built-in one, which fits these bytes (they are the tiny model's)
	c.Classifier = ""
	if clf, _, err = setup(c); err != nil || clf.Threshold() != metaclf.Default().Threshold() {
		t.Fatalf("built-in: %v", err)
	}
	// The YAML config's classifier key is the flag's: a config with a model and no classifier picks
	// the file beside the model too.
	writeClassifier(t, clfRecording(t, metaclf.ModelHash([]byte("x")), 1024, 512), beside)
	yml := filepath.Join(dir, "run.yml")
	os.WriteFile(yml, []byte("model: "+model+"\nforce: false\n"), 0o644)
	c, err = config.Load(yml)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err = setup(c); !errors.Is(err, errClassifierFit) || !strings.Contains(err.Error(), beside) {
		t.Fatalf("config: %v", err)
	}
	os.WriteFile(yml, []byte("model: "+model+"\nforce: true\n"), 0o644)
	if c, err = config.Load(yml); err != nil || !c.Force {
		t.Fatalf("force: true: %+v, %v", c.Force, err)
	}
	if _, logs, err = setup(c); err != nil || !strings.Contains(logs, "--force") {
		t.Fatalf("config force: %v\n%s", err, logs)
	}
}

// TestRunMapSize: the built-in tiny model runs at any size, so it runs at the classifier's map size
// unless --input-size says otherwise; an --input-size the classifier was not trained at is refused
// before ONNX Runtime starts (a warning with --force); a classifier without a map size leaves the
// model at the frame size.
func TestRunMapSize(t *testing.T) {
	needORT(t)
	dir := t.TempDir()
	norec := filepath.Join(dir, "norec.json")
	writeClassifier(t, clfRecording(t, metaclf.ModelHash(segmodel.Tiny()), 0, 0), norec)
	cases := []struct {
		name      string
		mod       func(*config.Run)
		err, logs string
		w, h      int // map size of the frames
	}{
		{"classifier's size", func(c *config.Run) {}, "", "input_size=1024x512", 1024, 512},
		{"input size mismatch", func(c *config.Run) { c.InputSize = "128x64" }, "trained on 1024x512 class maps, but the built-in tiny model produces 128x64 maps at --input-size 128x64", "", 0, 0},
		{"input size forced", func(c *config.Run) { c.InputSize = "128x64"; c.Force = true }, "", "--force", 128, 64},
		{"no map size recorded", func(c *config.Run) { c.Classifier = norec }, "", "records no map size", 256, 128},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			tc.mod(&c)
			var logs syncBuffer
			model, err := OpenModel(c, nil, logTo(&logs))
			var seg pipeline.Segmenter
			var eng *infer.Engine
			if model != nil {
				seg, eng = model.Segmenter, model.Engine
			}
			if tc.err != "" {
				if !errors.Is(err, errClassifierFit) || !strings.Contains(err.Error(), tc.err) || eng != nil {
					t.Fatalf("err = %v, want %q before the engine", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			if !strings.Contains(logs.String(), tc.logs) {
				t.Errorf("log lacks %q:\n%s", tc.logs, logs.String())
			}
			f := &frame.Frame{Source: "t", W: 256, H: 128, Pix: make([]byte, 3*256*128)}
			maps, err := seg.Segment([]*frame.Frame{f})
			if err != nil {
				t.Fatal(err)
			}
			if maps[0].W != tc.w || maps[0].H != tc.h {
				t.Errorf("map %dx%d, want %dx%d", maps[0].W, maps[0].H, tc.w, tc.h)
			}
			maps[0].Release()
		})
	}
}

// TestPlanMapSize: what the model file tells about its maps before any frame runs.
func TestPlanMapSize(t *testing.T) {
	if p := planMapSize(segmodel.Tiny(), 0, 0); !p.parsed || !p.followsInput || !p.dynamicInput || p.w != 0 {
		t.Errorf("tiny: %+v, want an output that follows a dynamic input", p)
	}
	if p := planMapSize(segmodel.Tiny(), 640, 320); p.w != 640 || p.h != 320 {
		t.Errorf("tiny at --input-size 640x320: %+v", p)
	}
	if p := planMapSize([]byte("not a model"), 0, 0); p != (mapPlan{}) || p.parsed {
		t.Errorf("garbage: %+v", p)
	}
	data, err := os.ReadFile(sharedtest.Path(t, espnetv2))
	if err != nil {
		t.Fatal(err)
	}
	if p := planMapSize(data, 0, 0); p.w != 1024 || p.h != 512 || p.dynamicInput {
		t.Errorf("espnetv2: %+v, want its fixed 1024x512 output", p)
	}
}

// fakeSeg returns one map of w×h per frame and counts releases.
type fakeSeg struct {
	w, h     int
	released *int
}

func (s fakeSeg) Segment(frames []*frame.Frame) ([]*frame.Map, error) {
	maps := make([]*frame.Map, len(frames))
	for i, f := range frames {
		maps[i] = &frame.Map{Frame: f, W: s.w, H: s.h, Release: func() { *s.released++ }}
	}
	return maps, nil
}

// TestMapSizeGuard: for a model whose map size the file does not tell, every map is checked: a
// mismatch fails the call (which stops the run) and releases the maps; --force warns once per size.
func TestMapSizeGuard(t *testing.T) {
	clf := clfRecording(t, "", 1024, 512)
	frames := []*frame.Frame{{Source: "cam", Seq: 7, W: 1280, H: 720}, {Source: "cam", Seq: 8, W: 1280, H: 720}}
	for _, tc := range []struct {
		name  string
		w, h  int
		force bool
		err   bool
		warns int
	}{
		{"match", 1024, 512, false, false, 0},
		{"mismatch", 640, 360, false, true, 0},
		{"forced", 640, 360, true, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			released := 0
			g := &mapSizeGuard{Segmenter: fakeSeg{tc.w, tc.h, &released}, fit: clfFit{clf: clf, clfName: "c.json",
				model: segModelFile{path: "m.onnx"}, force: tc.force, log: logTo(&logs)}}
			for range 3 {
				maps, err := g.Segment(frames)
				if tc.err {
					if !errors.Is(err, errClassifierFit) || !strings.Contains(err.Error(), "1024x512") || !strings.Contains(err.Error(), "640x360 maps (frame cam/7, 1280x720)") {
						t.Fatalf("err = %v", err)
					}
					if released != 2 || maps != nil {
						t.Fatalf("%d of 2 maps released", released)
					}
					return
				}
				if err != nil || len(maps) != 2 {
					t.Fatalf("%v, %d maps", err, len(maps))
				}
			}
			if n := strings.Count(logs.String(), "level=WARN"); n != tc.warns {
				t.Errorf("%d warnings, want %d:\n%s", n, tc.warns, logs.String())
			}
		})
	}
}

func needORT(t *testing.T) {
	t.Helper()
	if err := infer.Init(""); err != nil {
		t.Fatalf("ONNX Runtime unavailable (run `make setup`): %v", err)
	}
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer = syncbuf.Buffer

// TestClassifierThreshold: --classifier-threshold replaces the file's decision threshold; 0 keeps it.
func TestClassifierThreshold(t *testing.T) {
	for _, tc := range []struct{ flag, want float64 }{{0, metaclf.Default().Threshold()}, {0.8, 0.8}} {
		clf, err := loadClassifier("", 19, tc.flag)
		if err != nil {
			t.Fatal(err)
		}
		if clf.Threshold() != tc.want {
			t.Errorf("--classifier-threshold %v: threshold %v, want %v", tc.flag, clf.Threshold(), tc.want)
		}
	}
}
