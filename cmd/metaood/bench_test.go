package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"metaood/config"
)

func TestBenchTable(t *testing.T) {
	c := config.Default()
	c.Sources = []string{"synth:frames=6,size=128x64"}
	for _, outputs := range []bool{true, false} {
		res, err := runBench(context.Background(), c, 4, outputs)
		if err != nil {
			t.Fatal(err)
		}
		if res.Frames != 4 || !(res.Bare > 0) || !(res.Pipeline > 0) || res.Provider != "cpu" {
			t.Errorf("result %+v", res)
		}
		for _, st := range []string{"infer", "postproc", "metaclf", "total"} {
			if q, ok := res.Stages[st]; !ok || q[1] < q[0] {
				t.Errorf("stage %s: %v", st, q)
			}
		}
		var out bytes.Buffer
		printBench(&out, res)
		for _, want := range []string{"bare inference", "full pipeline", "ratio", "postproc"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("table lacks %q:\n%s", want, out.String())
			}
		}
	}
	if err := cmdBench(context.Background(), []string{"--frames", "0"}); err == nil || !strings.Contains(err.Error(), "--frames") {
		t.Errorf("--frames 0: %v", err)
	}
}
