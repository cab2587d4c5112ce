package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/metaood/metaood/config"
)

func TestBenchTable(t *testing.T) {
	c := config.Default()
	c.Sources = []string{"synth:frames=6,size=128x64"}
	for _, o := range []benchOptions{{frames: 4, outputs: true}, {frames: 4, workerNice: 10}} {
		res, err := runBench(context.Background(), c, o)
		if err != nil {
			t.Fatal(err)
		}
		if res.Frames != 4 || !(res.Bare > 0) || !(res.Pipeline > 0) || res.Provider != "cpu" || res.WorkerNice != o.workerNice {
			t.Errorf("result %+v", res)
		}
		// CPU time comes from getrusage, which counts every thread to the nanosecond on Linux.
		if !(res.BareCPU > 0) || !(res.PipelineCPU > 0) || !(res.PostAloneCPU > 0) || res.Cores < 1 || res.Workers < 1 {
			t.Errorf("CPU figures: %+v", res)
		}
		if !(res.PostAlone[0] > 0) || res.PostAlone[1] < res.PostAlone[0] {
			t.Errorf("postproc alone p50/p99: %v", res.PostAlone)
		}
		if res.Threads < 1 || res.Threads > res.Cores {
			t.Errorf("threads %d of %d cores", res.Threads, res.Cores)
		}
		if res.Kernels != "avx2" && res.Kernels != "scalar" {
			t.Errorf("kernels %q", res.Kernels)
		}
		for _, st := range []string{"infer", "postproc", "metaclf", "total"} {
			if q, ok := res.Stages[st]; !ok || q[1] < q[0] {
				t.Errorf("stage %s: %v", st, q)
			}
		}
		var out bytes.Buffer
		printBench(&out, res)
		for _, want := range []string{"bare inference", "full pipeline", "CPU on top of inference", "fps ratio", "postproc alone", "CPU budget"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("table lacks %q:\n%s", want, out.String())
			}
		}
	}
	for _, bad := range [][]string{{"--frames", "0"}, {"--worker-nice", "20"}, {"--worker-nice", "-1"}} {
		if err := cmdBench(context.Background(), bad); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// TestBenchBudget checks the table's arithmetic on fixed figures.
func TestBenchBudget(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    benchResult
		want []string
		not  []string
	}{
		{"cpu-bound", benchResult{Frames: 40, Bare: 36, BareRuns: [2]float64{35, 37}, BareCPU: 55, Pipeline: 24, PipelineCPU: 80,
			Cores: 2, Threads: 2, Workers: 2, Kernels: "avx2", Provider: "cpu", Outputs: true},
			[]string{"66.7 %", "cannot exceed 25.0 fps", "90 % of bare inference (32.4 fps)", "at most 61.7 CPU-ms",
				"1.92 of 2 cores busy", "with video + events", "kernels avx2", "Go heap", "2 inference threads"}, []string{"warning", "nice"}},
		{"inference-bound", benchResult{Frames: 20, Bare: 5, BareCPU: 350, Pipeline: 4.6, PipelineCPU: 380, Cores: 2, Workers: 1,
			Kernels: "scalar", Provider: "cpu"},
			[]string{"92.0 %", "cannot exceed 5.3 fps", "at most 444.4 CPU-ms", "without outputs", "1 postproc workers"}, nil},
		{"loaded machine", benchResult{Frames: 20, Bare: 4, BareRuns: [2]float64{5.28, 2.77}, BareCPU: 350, Pipeline: 3,
			PipelineCPU: 390, Cores: 2, Workers: 2, WorkerNice: 10, Kernels: "avx2", Provider: "cpu"},
			[]string{"differ by 91 %", "unreliable", "2 postproc workers at nice 10"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			printBench(&out, tc.r)
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out.String(), w) {
					t.Errorf("has %q:\n%s", w, out.String())
				}
			}
		})
	}
}
