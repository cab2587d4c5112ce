package calib

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestDatasetMetaRoundTrip: what calib dataset writes next to the CSV reads back field for field;
// Observe keeps one map size, or lists them when frames differ.
func TestDatasetMetaRoundTrip(t *testing.T) {
	dir := t.TempDir()
	sha := strings.Repeat("ab", 32)
	cases := []struct {
		name  string
		meta  *DatasetMeta
		sizes [][3]int // c, w, h observed
		size  []int
		list  [][]int
	}{
		{"model, one size", &DatasetMeta{Model: "m.onnx", ModelSHA256: sha, Preset: "rgb01", Threshold: 0.7, Frames: 3,
			Sources: []string{"--synth seed=1,frames=3"}}, [][3]int{{19, 1024, 512}, {19, 1024, 512}, {19, 1024, 512}}, []int{1024, 512}, nil},
		{"stored maps: no model", &DatasetMeta{Threshold: 0.5, Frames: 1, Sources: []string{"--probs-dir p"}},
			[][3]int{{20, 64, 32}}, []int{64, 32}, nil},
		{"mixed sizes", &DatasetMeta{Model: "m.onnx", ModelSHA256: sha, Frames: 3, Sources: []string{"--images d"}},
			[][3]int{{19, 640, 480}, {19, 1024, 512}, {19, 640, 480}}, nil, [][]int{{640, 480}, {1024, 512}}},
		{"no frame", &DatasetMeta{Model: "m.onnx", ModelSHA256: sha, Sources: []string{"--images d"}}, nil, nil, nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, s := range c.sizes {
				c.meta.Observe(s[0], s[1], s[2])
			}
			if !reflect.DeepEqual(c.meta.MapSize, c.size) || !reflect.DeepEqual(c.meta.MapSizes, c.list) {
				t.Fatalf("map size %v, sizes %v; want %v, %v", c.meta.MapSize, c.meta.MapSizes, c.size, c.list)
			}
			path := MetaPath(filepath.Join(dir, "d"+string(rune('0'+i))+".csv"))
			if !strings.HasSuffix(path, ".csv.meta.json") {
				t.Fatalf("sidecar path %s", path)
			}
			if err := WriteDatasetMeta(path, c.meta); err != nil {
				t.Fatal(err)
			}
			got, err := ReadDatasetMeta(path)
			if err != nil {
				t.Fatal(err)
			}
			want := c.meta
			if got.Format != MetaFormat || got.Version != MetaVersion || got.Model != want.Model || got.ModelSHA256 != want.ModelSHA256 ||
				got.Preset != want.Preset || !reflect.DeepEqual(got.MapSize, want.MapSize) || !reflect.DeepEqual(got.MapSizes, want.MapSizes) ||
				got.Classes != want.Classes || got.Threshold != want.Threshold || got.Frames != want.Frames ||
				!reflect.DeepEqual(got.Sources, want.Sources) {
				b, _ := os.ReadFile(path)
				t.Fatalf("read back %+v\nfrom\n%s", got, b)
			}
		})
	}
}

func TestDatasetMetaErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadDatasetMeta(filepath.Join(dir, "none.meta.json")); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "none.meta.json") {
		t.Errorf("missing: %v", err)
	}
	for _, c := range []struct{ name, body, text string }{
		{"not json", "{", "none"},
		{"format", `{"format":"x","version":1}`, "format"},
		{"version", `{"format":"metaood-dataset-meta","version":2}`, "version 2"},
		{"sha", `{"format":"metaood-dataset-meta","version":1,"model_sha256":"abc"}`, "model_sha256"},
		{"size", `{"format":"metaood-dataset-meta","version":1,"map_size":[5]}`, "map_size"},
	} {
		path := filepath.Join(dir, c.name+".meta.json")
		os.WriteFile(path, []byte(c.body), 0o644)
		_, err := ReadDatasetMeta(path)
		if !errors.Is(err, ErrMeta) || !strings.Contains(err.Error(), path) || (c.text != "none" && !strings.Contains(err.Error(), c.text)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
