package metaclf

import (
	_ "embed"
	"sync"
)

//go:embed default.json
var defaultJSON []byte

var defaultModel = sync.OnceValue(func() *Model {
	m, err := Parse(defaultJSON)
	if err != nil {
		panic("metaclf: the embedded default.json is broken: " + err.Error()) // a build defect, caught by the tests
	}
	return m
})

// Default returns the classifier shipped in the binary: the paper's MLP (75→75→75→75→1) on the 75
// metrics of 19 classes, trained on components of synthetic drives (seeds other than the tiny model's
// own) run through the built-in tiny segmentation model, i.e. on what `metaood run` sees with no flags.
// scripts/train-default-metaclf.sh rebuilds it; its Trained() provenance holds the drives, the dataset
// size and the cross-validated AUROC/AUPRC. It records the tiny model's sha256 and the 1024x512 maps
// of the default drive (ModelSHA256, MapSize), so 'metaood run' refuses it for another model: for
// another segmentation model train one with 'metaood calib'. Callers share it; it is immutable.
func Default() *Model { return defaultModel() }

// DefaultJSON returns the embedded file's bytes (a copy).
func DefaultJSON() []byte { return append([]byte(nil), defaultJSON...) }
