package calib

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/metaood/metaood/internal/npy"
	"github.com/metaood/metaood/postproc"
)

// Frame is one labelled frame for a dataset: an image id (stable name or number) and the map with its
// ground truth (Input.GT must be set: the label iou0 comes from it).
type Frame struct {
	Image string
	Input postproc.Input
}

// BuildDataset runs every frame of frames through proc (workers at a time, default all cores) and
// returns one row per component, frames in input order. progress, when set, gets (frames done, image).
// When ctx ends it returns the frames finished so far together with ErrInterrupted.
func BuildDataset(ctx context.Context, proc *postproc.Processor, frames iter.Seq2[Frame, error], workers int,
	progress func(done int, image string)) (*Dataset, error) {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	type job struct {
		k int
		f Frame
	}
	type out struct {
		img  string
		x    []float64
		iou  []float64
		y    []float64
		done bool
	}
	var (
		mu      sync.Mutex
		results []out
		first   error
		classes int
		done    int
	)
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				o, c, err := processFrame(proc, j.f)
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("image %s: %w", j.f.Image, err)
				}
				if err == nil {
					if classes == 0 {
						classes = c
					}
					if c != classes && first == nil {
						first = fmt.Errorf("%w: image %s has %d classes, earlier images %d", ErrData, j.f.Image, c, classes)
					}
					results[j.k] = out{img: j.f.Image, x: o.x, iou: o.iou, y: o.y, done: true}
					done++
					if progress != nil {
						progress(done, j.f.Image)
					}
				}
				mu.Unlock()
			}
		})
	}
	k := 0
	var srcErr error
feed:
	for f, err := range frames {
		if err != nil {
			srcErr = err
			break
		}
		mu.Lock()
		results = append(results, out{})
		stop := first != nil
		mu.Unlock()
		if stop {
			break
		}
		select {
		case jobs <- job{k, f}:
			k++
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if srcErr != nil {
		return nil, srcErr
	}
	if first != nil {
		return nil, first
	}
	if classes == 0 {
		return nil, fmt.Errorf("%w: no frames were read", ErrData)
	}
	d := &Dataset{Names: postproc.MetricNames(classes), Image: []string{}, IoU: []float64{}}
	for _, o := range results {
		if !o.done {
			continue
		}
		for range o.y {
			d.Image = append(d.Image, o.img)
		}
		d.X = append(d.X, o.x...)
		d.IoU = append(d.IoU, o.iou...)
		d.Y = append(d.Y, o.y...)
	}
	if ctx.Err() != nil {
		return d, fmt.Errorf("%w: %d frames processed", ErrInterrupted, done)
	}
	return d, nil
}

type frameRows struct{ x, iou, y []float64 }

func processFrame(proc *postproc.Processor, f Frame) (frameRows, int, error) {
	if f.Input.GT == nil {
		return frameRows{}, 0, fmt.Errorf("%w: no ground truth: a dataset needs labelled frames", ErrData)
	}
	r, err := proc.Process(f.Input)
	if err != nil {
		return frameRows{}, 0, err
	}
	defer r.Release()
	o := frameRows{x: slices.Clone(r.Metrics), iou: slices.Clone(r.IoU)}
	for _, v := range r.IoU0 {
		o.y = append(o.y, float64(v))
	}
	return o, r.C, nil
}

// LabelMap turns dataset label values into postproc's: listed OOD values → 254, ignore values → 255,
// everything else → 0 (in distribution). A nil map keeps the labels as stored (254 anomaly, 255 ignore).
type LabelMap struct {
	OOD, Ignore []uint8
}

func (lm *LabelMap) apply(gt []uint8) {
	if lm == nil || (len(lm.OOD) == 0 && len(lm.Ignore) == 0) {
		return
	}
	var t [256]uint8
	for _, v := range lm.OOD {
		t[v] = postproc.DefaultOODLabel
	}
	for _, v := range lm.Ignore {
		t[v] = postproc.DefaultIgnoreLabel
	}
	for i, v := range gt {
		gt[i] = t[v]
	}
}

// ProbsGTFrames yields frames from a folder of probability (or logit) maps, NAME.npy of shape (C,H,W) or
// (1,C,H,W) float32, each with the label PNG found by gtPattern in gtDir ("{name}" is replaced by NAME,
// e.g. "{name}_gtCoarse_labelTrainIds.png"; default "{name}.png"). Files are taken in name order.
func ProbsGTFrames(probsDir, gtDir, gtPattern string, logits bool, lm *LabelMap) (iter.Seq2[Frame, error], int, error) {
	if gtPattern == "" {
		gtPattern = "{name}.png"
	}
	if !strings.Contains(gtPattern, "{name}") {
		return nil, 0, fmt.Errorf("%w: --gt-pattern %q has no {name} placeholder", ErrOption, gtPattern)
	}
	names, err := filepath.Glob(filepath.Join(probsDir, "*.npy"))
	if err != nil {
		return nil, 0, err
	}
	if len(names) == 0 {
		return nil, 0, fmt.Errorf("%w: no .npy files in --probs-dir %s", ErrData, probsDir)
	}
	slices.Sort(names)
	for _, n := range names { // fail early, before hours of work, on a missing label
		base := strings.TrimSuffix(filepath.Base(n), ".npy")
		gp := filepath.Join(gtDir, strings.ReplaceAll(gtPattern, "{name}", base))
		if _, err := os.Stat(gp); err != nil {
			return nil, 0, fmt.Errorf("%w: no label image %s for %s (check --gt-dir and --gt-pattern)", ErrData, gp, n)
		}
	}
	seq := func(yield func(Frame, error) bool) {
		for _, n := range names {
			base := strings.TrimSuffix(filepath.Base(n), ".npy")
			f, err := readProbsGT(n, filepath.Join(gtDir, strings.ReplaceAll(gtPattern, "{name}", base)), logits, lm)
			f.Image = base
			if !yield(f, err) || err != nil {
				return
			}
		}
	}
	return seq, len(names), nil
}

func readProbsGT(probsPath, gtPath string, logits bool, lm *LabelMap) (Frame, error) {
	a, err := npy.ReadFile(probsPath)
	if err != nil {
		return Frame{}, err
	}
	sh := a.Shape
	if len(sh) == 4 && sh[0] == 1 {
		sh = sh[1:]
	}
	if a.F32 == nil || len(sh) != 3 || a.Fortran {
		return Frame{}, fmt.Errorf("%w: %s holds %s %v, want float32 (C, H, W) in C order", ErrData, probsPath, a.Descr, a.Shape)
	}
	gt, w, h, err := postproc.ReadLabelPNG(gtPath)
	if err != nil {
		return Frame{}, err
	}
	if w != sh[2] || h != sh[1] {
		return Frame{}, fmt.Errorf("%w: label %s is %dx%d but %s is %dx%d", ErrData, gtPath, w, h, probsPath, sh[2], sh[1])
	}
	lm.apply(gt)
	return Frame{Input: postproc.Input{C: sh[0], H: sh[1], W: sh[2], Data: a.F32, Logits: logits, GT: gt}}, nil
}
