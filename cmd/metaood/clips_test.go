package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/render"
)

// TestRunEmergencyClips: a synthetic drive with an emergency (the viewer test's drive, which
// raises one at frame 154) replayed through the default run: the emergency event names a clip and
// a snapshot, a clip event follows when the clip is complete, the clip decodes and lasts pre + post
// within one keyframe interval, and the recording is the default one, WebM segments.
func TestRunEmergencyClips(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c := config.Default()
	c.Sources = []string{"synth:seed=12,frames=200,size=512x256"}
	c.ROI = config.SynthROI
	c.Out = t.TempDir()
	c.Stdout = false
	c.ClipPre, c.ClipPost = 2*time.Second, time.Second
	sum, outs, _, err := runFor(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Emergencies == 0 {
		t.Fatalf("the drive raised no emergency (summary %+v): the test needs one", sum)
	}
	f, err := os.Open(outs.Events)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type ev struct {
		Type           string  `json:"type"`
		ID             string  `json:"id"`
		EmergencyID    string  `json:"emergency_id"`
		Source         string  `json:"source"`
		Frame          uint64  `json:"frame"`
		Clip           string  `json:"clip"`
		Snapshot       string  `json:"snapshot"`
		EmergencyFrame uint64  `json:"emergency_frame"`
		DurationMS     float64 `json:"duration_ms"`
		Frames         int     `json:"frames"`
	}
	var emergencies []ev
	clips := map[uint64]ev{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e ev
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		switch e.Type {
		case "emergency":
			emergencies = append(emergencies, e)
		case "clip":
			clips[e.EmergencyFrame] = e
		}
	}
	if len(emergencies) != int(sum.Emergencies) {
		t.Fatalf("%d emergency events, summary says %d", len(emergencies), sum.Emergencies)
	}
	const fps = 30 // the synthetic drive's
	for _, em := range emergencies {
		if em.Clip == "" || em.Snapshot == "" {
			t.Errorf("emergency at frame %d without clip or snapshot: %+v", em.Frame, em)
			continue
		}
		if _, err := os.Stat(filepath.Join(outs.Dir, em.Snapshot)); err != nil {
			t.Errorf("snapshot: %v", err)
		}
		ce, ok := clips[em.Frame]
		if !ok || ce.Clip != em.Clip || ce.EmergencyID != em.ID || ce.Frame < em.Frame+fps-1 {
			t.Errorf("emergency at frame %d: clip event %+v, want one for %s (emergency %s) at least 1 s later", em.Frame, ce, em.Clip, em.ID)
			continue
		}
		n, w, h, err := render.ReadVideoInfo(filepath.Join(outs.Dir, ce.Clip))
		if err != nil || n != ce.Frames || w != 512 || h != 256 {
			t.Errorf("%s: %d frames %dx%d (%v), the event says %d at 512x256", ce.Clip, n, w, h, err, ce.Frames)
		}
		// pre + post = 3 s, within one keyframe interval (1 s) more.
		if ce.DurationMS < 3000-1000/fps || ce.DurationMS > 4000 {
			t.Errorf("%s lasts %.0f ms, want 3000 to 4000", ce.Clip, ce.DurationMS)
		}
		t.Logf("emergency at frame %d: %s (%d frames, %.0f ms), %s", em.Frame, ce.Clip, ce.Frames, ce.DurationMS, em.Snapshot)
	}
	if outs.Clips != len(emergencies) || outs.Snapshots != len(emergencies) {
		t.Errorf("outputs: %d clips, %d snapshots; want %d each", outs.Clips, outs.Snapshots, len(emergencies))
	}
	if len(outs.Videos) != 1 || filepath.Base(outs.Videos[0]) != "annotated-0000.webm" {
		t.Fatalf("videos %v, want the default annotated-0000.webm", outs.Videos)
	}
	if err := render.VerifyVideo(outs.Videos[0], 200); err != nil {
		t.Error(err)
	}
}
