package synth

import (
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"testing"
)

// goldenFrame pins the look of the drive. The tiny segmentation model (segmodel) and the
// default meta classifier are trained on these frames: when a change to synth alters
// the hash on purpose, retrain them (metaood synth model, calib) and update the hash.
// Float rounding may differ on other architectures (FMA fusion), so it runs on amd64 only.
const goldenFrame = "c818adce08727518"

func TestGoldenFrame(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("golden hash recorded on amd64")
	}
	cfg := small(1)
	bgr, gt := render(t, cfg, 123)
	h := sha256.New()
	h.Write(bgr)
	h.Write(gt)
	if got := hex.EncodeToString(h.Sum(nil))[:16]; got != goldenFrame {
		t.Errorf("frame 123 hash %s, want %s: the synthetic look changed; retrain the tiny model and the default classifier, then update goldenFrame", got, goldenFrame)
	}
}
