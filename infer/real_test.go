package infer

import (
	"math"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/internal/sharedtest"
)

// One frame of a real dashcam clip through a real Cityscapes model (fixed [1,3,512,1024],
// 20 channels, the 20th void): 19 channels kept, map at model resolution, scale back to the
// clip's 960x540, all logits finite. About 1 to 2 s on a CPU.
func TestRealModelOnRealFrame(t *testing.T) {
	if testing.Short() {
		t.Skip("real model: about 2 s")
	}
	modelPath := filepath.Join(sharedtest.Path(t, "models"), "espnet_p2q8_cityscapes_512x1024_rgb01.onnx")
	videoPath := filepath.Join(sharedtest.Path(t, "video"), "udacity_solidWhiteRight.mp4")
	data, err := LoadModel(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, Config{Model: data, ModelName: filepath.Base(modelPath), Classes: 19, Batch: 2})
	if e.Classes() != 19 {
		t.Fatalf("Classes() = %d, want 19", e.Classes())
	}
	f := readFrame(t, videoPath)
	outs, err := e.Infer([]*frame.Frame{f})
	if err != nil {
		t.Fatal(err)
	}
	o := outs[0]
	defer o.Release()
	if o.C != 19 || o.H != 512 || o.W != 1024 || len(o.Data) != 19*512*1024 {
		t.Fatalf("output %dx%dx%d (len %d), want 19x512x1024", o.C, o.H, o.W, len(o.Data))
	}
	if math.Abs(o.ScaleX-960.0/1024) > 1e-12 || math.Abs(o.ScaleY-540.0/512) > 1e-12 {
		t.Errorf("scale %v,%v; want %v,%v", o.ScaleX, o.ScaleY, 960.0/1024, 540.0/512)
	}
	// The network should find road (class 0) at the bottom centre of a highway frame.
	hw := 512 * 1024
	p := 480*1024 + 512
	best := 0
	for c := 1; c < 19; c++ {
		if o.Data[c*hw+p] > o.Data[best*hw+p] {
			best = c
		}
	}
	if best != 0 {
		t.Errorf("bottom-centre pixel classified %d, want 0 (road)", best)
	}
}

func readFrame(t testing.TB, path string) *frame.Frame {
	t.Helper()
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		vc.Close()
		t.Fatal(err)
	}
	defer vc.Close()
	m := gocv.NewMat()
	defer m.Close()
	if !vc.Read(&m) || m.Empty() {
		t.Fatalf("%s: no frame", path)
	}
	pix, err := m.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	return &frame.Frame{Source: "clip", W: m.Cols(), H: m.Rows(), Pix: append([]byte(nil), pix...)}
}
