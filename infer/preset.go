package infer

import "sort"

// preset is a preprocessing recipe: channel order and per-channel affine map of the 0..255 byte.
type preset struct {
	bgr  bool       // model channel 0 is blue (else red)
	mean [3]float32 // in [0,1] units, model channel order
	std  [3]float32
}

// ImageNet statistics in RGB order.
var (
	imagenetMean = [3]float32{0.485, 0.456, 0.406}
	imagenetStd  = [3]float32{0.229, 0.224, 0.225}
	unitMean     = [3]float32{0, 0, 0}
	unitStd      = [3]float32{1, 1, 1}
)

var presets = map[string]preset{
	"rgb01":        {bgr: false, mean: unitMean, std: unitStd},
	"imagenet":     {bgr: false, mean: imagenetMean, std: imagenetStd},
	"bgr01":        {bgr: true, mean: unitMean, std: unitStd},
	"bgr-imagenet": {bgr: true, mean: rev(imagenetMean), std: rev(imagenetStd)},
}

func rev(a [3]float32) [3]float32 { return [3]float32{a[2], a[1], a[0]} }

// PresetNames lists the preprocessing presets, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// lut returns, for each model channel, the float value of every byte 0..255, and for each model
// channel the offset (0..2) of its byte in a BGR24 pixel. A table lookup per byte is cheaper
// than the divide and subtract.
func (p preset) lut() (tab [3][256]float32, src [3]int) {
	src = [3]int{2, 1, 0} // RGB model: R is byte 2 of BGR
	if p.bgr {
		src = [3]int{0, 1, 2}
	}
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			tab[c][v] = (float32(v)/255 - p.mean[c]) / p.std[c]
		}
	}
	return tab, src
}
