package metaclf

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestFitFieldsRoundTrip: model_sha256 and map_size survive Marshal → Parse and File/New; a file
// without them (every file written before they existed) loads and marshals without them.
func TestFitFieldsRoundTrip(t *testing.T) {
	sha := ModelHash([]byte("model bytes"))
	f := tiny()
	f.ModelSHA256 = strings.ToUpper(sha) // hex in either case; stored lowercase
	f.MapSize = []int{1024, 512}
	m, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	f.MapSize[0] = 7 // New copies
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"model_sha256": "`+sha+`"`)) || !bytes.Contains(b, []byte(`"map_size": [1024,512]`)) {
		t.Fatalf("marshalled file lacks the fields:\n%s", b)
	}
	m2, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := m2.MapSize(); m2.ModelSHA256() != sha || w != 1024 || h != 512 {
		t.Fatalf("round trip: sha %q, map %dx%d", m2.ModelSHA256(), w, h)
	}
	g := m2.File()
	g.MapSize[1] = 1 // File is a copy
	if _, h := m2.MapSize(); h != 512 {
		t.Fatal("File() shares map_size with the model")
	}

	old, err := New(tiny()) // no fields: loads, marshals without them
	if err != nil {
		t.Fatal(err)
	}
	ob, _ := old.Marshal()
	if bytes.Contains(ob, []byte("model_sha256")) || bytes.Contains(ob, []byte("map_size")) {
		t.Fatalf("a file without the fields gained them:\n%s", ob)
	}
	if w, h := old.MapSize(); old.ModelSHA256() != "" || w != 0 || h != 0 {
		t.Fatalf("old file: sha %q, map %dx%d", old.ModelSHA256(), w, h)
	}
}

func TestModelHash(t *testing.T) {
	// sha256("abc"), FIPS 180-2 test vector.
	if got := ModelHash([]byte("abc")); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatal(got)
	}
}

// TestCheckFit: CheckModel and CheckMapSize on a file that records both and on one that records neither.
func TestCheckFit(t *testing.T) {
	sha, other := ModelHash([]byte("a")), ModelHash([]byte("b"))
	f := tiny()
	f.ModelSHA256, f.MapSize = sha, []int{1024, 512}
	rec, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	none, _ := New(tiny())
	cases := []struct {
		name string
		err  error
		want error
		text string
	}{
		{"model match", rec.CheckModel(sha), nil, ""},
		{"model mismatch", rec.CheckModel(other), ErrModelMismatch, sha + ", the model in use has sha256 " + other},
		{"model not recorded", none.CheckModel(sha), ErrNotRecorded, "model_sha256"},
		{"size match", rec.CheckMapSize(1024, 512), nil, ""},
		{"size mismatch", rec.CheckMapSize(512, 256), ErrMapSizeMismatch, "trained on 1024x512 maps, the model produces 512x256"},
		{"size swapped", rec.CheckMapSize(512, 1024), ErrMapSizeMismatch, "512x1024"},
		{"size not recorded", none.CheckMapSize(1024, 512), ErrNotRecorded, "map_size"},
	}
	for _, c := range cases {
		if c.want == nil {
			if c.err != nil {
				t.Errorf("%s: %v", c.name, c.err)
			}
			continue
		}
		if !errors.Is(c.err, c.want) || !strings.Contains(c.err.Error(), c.text) {
			t.Errorf("%s: %v, want %v containing %q", c.name, c.err, c.want, c.text)
		}
	}
}
