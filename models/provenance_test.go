// Package models holds no Go code: this test keeps models/README.md's provenance table complete.
package models

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProvenanceCoversEveryFile: every model and classifier file of the repository (the files
// in models/ and the two the binary embeds) is named in models/README.md with its current
// sha256, so a retrained file cannot ship without its provenance being updated, and NOTICE
// names each of them.
func TestProvenanceCoversEveryFile(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	notice, err := os.ReadFile("../NOTICE")
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"../segmodel/tiny.onnx", "../metaclf/default.json"}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); ext == ".onnx" || ext == ".json" {
			files = append(files, e.Name())
		}
	}
	if len(files) < 4 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		name := strings.TrimPrefix(f, "../")
		if !strings.HasPrefix(f, "../") {
			name = "models/" + f
		}
		row := "| `" + name + "`"
		i := strings.Index(string(readme), row)
		if i < 0 {
			t.Errorf("models/README.md has no table row for %s", name)
			continue
		}
		line := string(readme[i:])
		line = line[:strings.IndexByte(line, '\n')]
		if want := hex.EncodeToString(sum[:]); !strings.Contains(line, want) {
			t.Errorf("models/README.md: the row of %s does not give its sha256 %s (retrained? update the provenance)", name, want)
		}
		if !strings.Contains(string(notice), name) {
			t.Errorf("NOTICE does not name %s", name)
		}
	}
}
