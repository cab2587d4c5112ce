package frame

// Dispersion is a class map summarised per pixel inside the model graph (infer's dispersion
// head): what the anomaly metrics need, without the C class planes. Its slices are owned by the
// Map that carries it (Map.Release returns them).
type Dispersion struct {
	Entropy []float32 // H×W normalized entropy −Σ p ln p / ln C
	Argmax  []uint8   // H×W class of the largest score (the lowest class on ties)
	Top2    []float32 // 2×H×W: the largest probability of each pixel, then the second largest
	// MaskProbs holds, class-major (C×M), the class probabilities of the M pixels whose Entropy
	// is ≥ Threshold, in row-major order: the only pixels that can belong to a component.
	MaskProbs []float32
	M         int
	Threshold float32
}
