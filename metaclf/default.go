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

// Default returns the classifier shipped in the binary (MLP on the 75 metrics of 19 classes). See its
// Trained() provenance for what it was trained on. Callers share it; it is immutable.
func Default() *Model { return defaultModel() }

// DefaultJSON returns the embedded file's bytes (a copy).
func DefaultJSON() []byte { return append([]byte(nil), defaultJSON...) }
