package browsertest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestChildMetrics(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		want      []metric
	}{
		{"no benchmark line", "=== RUN TestX\n--- PASS: TestX\nPASS\n", nil},
		{"ms units and frames", "BenchmarkGlassToGlass \t1\t5012345678 ns/op\t42.5 g2g-p50-ms\t61 g2g-p95-ms\t150 frames\n",
			[]metric{{42.5, "g2g-p50-ms"}, {61, "g2g-p95-ms"}, {150, "frames"}}},
		{"other units ignored", "BenchmarkX 1 100 ns/op 12 B/op 3 allocs/op 7.5 to-recv-p50-ms\n", []metric{{7.5, "to-recv-p50-ms"}}},
		{"unit without a number", "BenchmarkX 1 100 ns/op n/a g2g-p50-ms\n", nil},
		{"a log line that mentions ms", "    e2e_test.go:10: p50 42 g2g-p50-ms\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := childMetrics(tc.out); !slices.Equal(got, tc.want) {
				t.Errorf("childMetrics(%q) = %v, want %v", tc.out, got, tc.want)
			}
		})
	}
}

func TestEvidenceDir(t *testing.T) {
	t.Setenv(EvidenceEnv, "")
	if d := EvidenceDir(t); d != "" {
		t.Errorf("EvidenceDir with %s unset = %q, want \"\"", EvidenceEnv, d)
	}
	want := filepath.Join(t.TempDir(), "a", "b")
	t.Setenv(EvidenceEnv, want)
	if d := EvidenceDir(t); d != want {
		t.Errorf("EvidenceDir = %q, want %q", d, want)
	}
	if st, err := os.Stat(want); err != nil || !st.IsDir() {
		t.Errorf("EvidenceDir did not create %s: %v", want, err)
	}
}
