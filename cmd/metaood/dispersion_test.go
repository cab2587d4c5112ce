package main

import (
	"encoding/csv"
	"os"
	"strconv"
	"testing"

	"github.com/metaood/metaood/config"
)

// TestRunDispersionHead: a run with the model's dispersion head finds, frame by frame, the same
// components, keeps and rejects the same ones and reports the same largest entropy (to 6 digits)
// as a run on the class planes.
func TestRunDispersionHead(t *testing.T) {
	rows := func(head bool) [][]string {
		c := config.Default()
		c.Sources = []string{"synth:frames=6,size=512x256,seed=3"}
		c.Out = t.TempDir()
		c.Video = ""
		c.CSV = "summary.csv"
		c.DispersionHead = head
		sum, outs, _, err := runFor(t, c)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Frames != 6 || sum.FrameErrors != 0 {
			t.Fatalf("head %v: summary %+v", head, sum)
		}
		f, err := os.Open(outs.CSV)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	plain, head := rows(false), rows(true)
	if len(plain) != 7 || len(head) != 7 {
		t.Fatalf("%d and %d csv lines, want 7", len(plain), len(head))
	}
	col := map[string]int{}
	for i, name := range plain[0] {
		col[name] = i
	}
	components := 0
	for i := 1; i < len(plain); i++ {
		for _, name := range []string{"frame", "components", "kept", "rejected", "emergency", "error"} {
			if a, b := plain[i][col[name]], head[i][col[name]]; a != b {
				t.Errorf("line %d %s: %q with the class planes, %q with the head", i, name, a, b)
			}
		}
		if a, b := plain[i][col["max_entropy"]], head[i][col["max_entropy"]]; a[:min(len(a), 8)] != b[:min(len(b), 8)] {
			t.Errorf("line %d max_entropy: %s with the class planes, %s with the head", i, a, b)
		}
		n, _ := strconv.Atoi(plain[i][col["components"]])
		components += n
	}
	if components == 0 {
		t.Error("no frame had components: the comparison says nothing")
	} else {
		t.Logf("%d components in 6 frames, the same with the head", components)
	}
}
