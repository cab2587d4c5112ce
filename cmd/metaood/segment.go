package main

import (
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // --image and --images accept JPEG
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/postproc"
	"github.com/metaood/metaood/segmodel"
)

// segModel names a segmentation model and how to run it: the flags --model, --preset, --classes,
// --input-size and --probs shared by `features --image` and `calib dataset --images/--synth`.
type segModel struct {
	Path      string // .onnx file; "" = the built-in tiny model (segmodel.Tiny)
	Preset    string // infer preset; "" = rgb01
	Classes   int    // keep the first K output channels; 0 = all
	InputSize string // WxH for dynamic-size models; "" = frame size
	Probs     bool   // the model outputs probabilities, not logits
}

// addSegModelFlags binds the model flags to fs. modelHelp is the help of --model; probsFlag names
// the "model outputs probabilities" flag (features already has --probs for a stored map).
func addSegModelFlags(fs *pflag.FlagSet, modelHelp, probsFlag string) *segModel {
	m := &segModel{}
	fs.StringVar(&m.Path, "model", "", modelHelp)
	fs.StringVar(&m.Preset, "preset", "rgb01", "model input preprocessing: "+strings.Join(infer.PresetNames(), " | "))
	fs.IntVar(&m.Classes, "classes", 0, "keep the first K output channels (19 for Cityscapes exports with a void channel; 0 = all)")
	fs.StringVar(&m.InputSize, "input-size", "", "WxH to run a dynamic-size model at (default: image size; labels are then resized to the map)")
	fs.BoolVar(&m.Probs, probsFlag, false, "the model outputs probabilities, not logits")
	return m
}

// name is the model as messages show it.
func (m *segModel) name() string {
	if m.Path == "" {
		return "tiny.onnx (built in)"
	}
	return m.Path
}

// open initializes ONNX Runtime (infer.Init("")) and loads the model on the CPU. Errors name the
// model file or the flag at fault.
func (m *segModel) open() (*infer.Engine, error) {
	cfg := infer.Config{Model: segmodel.Tiny(), ModelName: m.name(), Preset: m.Preset, Classes: m.Classes, Probs: m.Probs}
	if m.InputSize != "" {
		var err error
		if cfg.InputW, cfg.InputH, err = config.ParseSize(m.InputSize); err != nil {
			return nil, fmt.Errorf("%w: --input-size %q: %v", errUsage, m.InputSize, err)
		}
	}
	if m.Classes < 0 {
		return nil, fmt.Errorf("%w: --classes %d: use 0 (all channels) or a positive count", errUsage, m.Classes)
	}
	if m.Path != "" {
		var err error
		if cfg.Model, err = infer.LoadModel(m.Path); err != nil {
			return nil, err
		}
	}
	if err := infer.Init(""); err != nil {
		return nil, err
	}
	return infer.New(cfg, nil)
}

// segment runs one frame through eng and returns the class map as a postproc.Input (own copy of
// the data, so the engine's buffer is released at once). Logits is set unless the model outputs
// probabilities. When gt is given (f.W×f.H labels) it is attached at map resolution: as is when the
// map has the frame's size, else resized with nearest neighbour (label values are never mixed).
func segment(eng *infer.Engine, f *frame.Frame, probs bool, gt []uint8) (postproc.Input, error) {
	outs, err := eng.Infer([]*frame.Frame{f})
	if err != nil {
		return postproc.Input{}, err
	}
	o := outs[0]
	in := postproc.Input{C: o.C, H: o.H, W: o.W, Data: slices.Clone(o.Data), Logits: !probs}
	o.Release()
	if gt != nil {
		if len(gt) != f.W*f.H {
			return postproc.Input{}, fmt.Errorf("%d labels for a %dx%d frame", len(gt), f.W, f.H)
		}
		in.GT = resizeLabels(gt, f.W, f.H, in.W, in.H)
	}
	return in, nil
}

// resizeLabels resizes a w×h label image to nw×nh with nearest neighbour (pixel centres), returning
// gt itself when the size does not change.
func resizeLabels(gt []uint8, w, h, nw, nh int) []uint8 {
	if w == nw && h == nh {
		return gt
	}
	out := make([]uint8, nw*nh)
	xs := make([]int, nw)
	for x := range xs {
		xs[x] = min(w-1, int((float64(x)+0.5)*float64(w)/float64(nw)))
	}
	for y := range nh {
		sy := min(h-1, int((float64(y)+0.5)*float64(h)/float64(nh)))
		row, src := out[y*nw:(y+1)*nw], gt[sy*w:(sy+1)*w]
		for x, sx := range xs {
			row[x] = src[sx]
		}
	}
	return out
}

// readImageFrame decodes a PNG or JPEG file into a BGR24 frame (alpha is dropped). Errors name the file.
func readImageFrame(path string) (*frame.Frame, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", path, err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("image %s: %v (want a PNG or JPEG file)", path, err)
	}
	b := img.Bounds()
	rgba, ok := img.(*image.RGBA)
	if !ok || rgba.Rect.Min != (image.Point{}) {
		rgba = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
	}
	w, h := b.Dx(), b.Dy()
	fr := &frame.Frame{Source: path, W: w, H: h, Pix: make([]byte, 3*w*h)}
	for y := range h {
		src := rgba.Pix[y*rgba.Stride : y*rgba.Stride+4*w]
		dst := fr.Pix[3*w*y : 3*w*(y+1)]
		for x := range w {
			dst[3*x], dst[3*x+1], dst[3*x+2] = src[4*x+2], src[4*x+1], src[4*x]
		}
	}
	return fr, nil
}
