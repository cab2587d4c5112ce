package frame

// Dispersion is a class map summarised per pixel inside the model graph (infer's dispersion
// head): what the anomaly metrics need, without the C class planes. Its slices are owned by the
// Map that carries it (Map.Release returns them).
type Dispersion struct {
	Entropy []float32 // H×W normalized entropy −Σ p ln p / ln C
	Argmax  []uint8   // H×W class of the largest score (the lowest class on ties)
	Top2    []float32 // 2×H×W: the largest probability of each pixel, then the second largest
	// MaskProbs holds the class probabilities of the M pixels whose Entropy is ≥ Threshold, in
	// row-major order: the only pixels that can belong to a component. Class k of kept pixel j
	// is MaskProbs[k·Stride + j] (the frames of a batch share one C×ΣM tensor).
	MaskProbs []float32
	M         int
	Stride    int // ≥ M; 0 means M
	Threshold float32
}

// RowStride is the distance in MaskProbs from one class's value of a pixel to the next class's.
func (d *Dispersion) RowStride() int {
	if d.Stride == 0 {
		return d.M
	}
	return d.Stride
}
