package metaclf

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// ModelHash returns the lowercase hex SHA-256 of a segmentation model's .onnx bytes: the value
// "model_sha256" records, and what callers compare it with.
func ModelHash(model []byte) string {
	s := sha256.Sum256(model)
	return hex.EncodeToString(s[:])
}

// ModelSHA256 returns the recorded hash of the segmentation model the classifier was trained for
// (lowercase hex), or "" when the file records none.
func (m *Model) ModelSHA256() string { return m.f.ModelSHA256 }

// MapSize returns the recorded W×H of the class maps the training metrics were computed at, or
// 0, 0 when the file records none.
func (m *Model) MapSize() (w, h int) {
	if len(m.f.MapSize) != 2 {
		return 0, 0
	}
	return m.f.MapSize[0], m.f.MapSize[1]
}

// CheckModel compares the recorded model hash with sha (ModelHash of the model in use): nil when
// they are equal, ErrNotRecorded when the file records no model, else ErrModelMismatch.
func (m *Model) CheckModel(sha string) error {
	switch {
	case m.f.ModelSHA256 == "":
		return fmt.Errorf("%w: the classifier records no segmentation model (model_sha256)", ErrNotRecorded)
	case m.f.ModelSHA256 != sha:
		return fmt.Errorf("%w: the classifier was trained for the model with sha256 %s, the model in use has sha256 %s", ErrModelMismatch, m.f.ModelSHA256, sha)
	}
	return nil
}

// CheckMapSize compares the recorded map size with w×h (the maps the model produces): nil when
// equal, ErrNotRecorded when the file records no map size, else ErrMapSizeMismatch.
func (m *Model) CheckMapSize(w, h int) error {
	rw, rh := m.MapSize()
	switch {
	case rw == 0:
		return fmt.Errorf("%w: the classifier records no map size (map_size)", ErrNotRecorded)
	case rw != w || rh != h:
		return fmt.Errorf("%w: the classifier was trained on %dx%d maps, the model produces %dx%d maps", ErrMapSizeMismatch, rw, rh, w, h)
	}
	return nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
