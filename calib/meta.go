package calib

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
)

// The sidecar's format tag and version.
const (
	MetaFormat  = "metaood-dataset-meta"
	MetaVersion = 1
)

// DatasetMeta is the sidecar of a components dataset, written next to the CSV as MetaPath(csv) by
// 'metaood calib dataset' and read by 'metaood calib train': what made the rows. The classifier
// trained on them records the model and map size from it (metaclf "model_sha256", "map_size"), so
// that 'metaood run' can tell whether it fits the model in use.
//
//	{"format": "metaood-dataset-meta", "version": 1, "model": "m.onnx", "model_sha256": "…",
//	 "preset": "rgb01", "map_size": [1024, 512], "classes": 19, "threshold": 0.7, "frames": 400,
//	 "sources": ["--synth seed=11,frames=50"]}
type DatasetMeta struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Model is the segmentation model as given (a path, or "tiny.onnx (built in)"); "" when the maps
	// were stored ones (--probs-dir) and the model is not known.
	Model string `json:"model,omitempty"`
	// ModelSHA256 is metaclf.ModelHash of the model's bytes; "" when not known.
	ModelSHA256 string `json:"model_sha256,omitempty"`
	Preset      string `json:"preset,omitempty"`     // model input preprocessing
	InputSize   string `json:"input_size,omitempty"` // --input-size the model ran at ("" = its own or the image's)
	// MapSize is [W, H] of the class maps of every frame; absent when no frame was done or when the
	// frames' maps had different sizes (then MapSizes lists them).
	MapSize   []int   `json:"map_size,omitempty"`
	MapSizes  [][]int `json:"map_sizes,omitempty"`
	Classes   int     `json:"classes"`   // C of the maps (the CSV has 37+2C features)
	Threshold float64 `json:"threshold"` // entropy threshold of the anomaly mask
	Frames    int     `json:"frames"`    // frames whose components are in the CSV
	// Sources says what the frames came from: the source flags as given (e.g. "--synth seed=11,frames=50").
	Sources []string `json:"sources"`

	mu    sync.Mutex
	sizes [][2]int // distinct map sizes seen by Observe, in order
}

// MetaPath returns the sidecar path of a dataset CSV: csv + ".meta.json".
func MetaPath(csv string) string { return csv + ".meta.json" }

// Observe records one frame's map: c classes, w×h. Safe for concurrent use.
func (m *DatasetMeta) Observe(c, w, h int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Classes == 0 {
		m.Classes = c
	}
	if s := [2]int{w, h}; !slices.Contains(m.sizes, s) {
		m.sizes = append(m.sizes, s)
	}
	m.MapSize, m.MapSizes = nil, nil
	switch len(m.sizes) {
	case 0:
	case 1:
		m.MapSize = []int{m.sizes[0][0], m.sizes[0][1]}
	default:
		for _, s := range m.sizes {
			m.MapSizes = append(m.MapSizes, []int{s[0], s[1]})
		}
	}
}

// Check validates the fields a classifier takes over (format, version, model_sha256, map_size).
func (m *DatasetMeta) Check() error {
	switch {
	case m.Format != MetaFormat:
		return fmt.Errorf("%w: format %q, want %q", ErrMeta, m.Format, MetaFormat)
	case m.Version != MetaVersion:
		return fmt.Errorf("%w: version %d, this build reads version %d", ErrMeta, m.Version, MetaVersion)
	case m.ModelSHA256 != "" && !isHex64(m.ModelSHA256):
		return fmt.Errorf("%w: model_sha256 %q is not 64 hex digits", ErrMeta, m.ModelSHA256)
	case m.MapSize != nil && (len(m.MapSize) != 2 || m.MapSize[0] <= 0 || m.MapSize[1] <= 0):
		return fmt.Errorf("%w: map_size %v is not [W, H] with W, H > 0", ErrMeta, m.MapSize)
	case m.Classes < 0 || m.Frames < 0:
		return fmt.Errorf("%w: classes %d, frames %d", ErrMeta, m.Classes, m.Frames)
	}
	return nil
}

// WriteDatasetMeta writes m (format and version filled in) as indented JSON to path.
func WriteDatasetMeta(path string, m *DatasetMeta) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Format, m.Version = MetaFormat, MetaVersion
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("dataset sidecar %s: %w", path, err)
	}
	return nil
}

// ReadDatasetMeta reads and checks a sidecar; errors name the file (os.ErrNotExist when it is absent).
func ReadDatasetMeta(path string) (*DatasetMeta, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset sidecar %s: %w", path, err)
	}
	m := &DatasetMeta{}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("dataset sidecar %s: %w: %v", path, ErrMeta, err)
	}
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("dataset sidecar %s: %w", path, err)
	}
	return m, nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
