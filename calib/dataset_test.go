package calib

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const smallCSV = "image,a,b,iou,iou0\nf1,1.5,2,0,1\nf1,-3,4e-3,0.5,0\nf2,0,7,0,1\n"

func TestReadCSV(t *testing.T) {
	d, err := ReadCSV(strings.NewReader(smallCSV))
	if err != nil {
		t.Fatal(err)
	}
	if d.N() != 3 || d.P() != 2 || d.CountFP() != 2 || d.Image[2] != "f2" || d.Row(1)[1] != 4e-3 || d.IoU[1] != 0.5 {
		t.Fatalf("parsed %+v", d)
	}
	g, ng, err := d.Groups()
	if err != nil || ng != 2 || g[0] != g[1] || g[1] == g[2] {
		t.Fatalf("groups %v %d %v", g, ng, err)
	}
	var buf bytes.Buffer
	if err := d.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	d2, err := ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if d2.N() != d.N() || d2.Row(1)[0] != -3 || d2.Image[0] != "f1" {
		t.Fatalf("round trip %+v", d2)
	}
}

func TestReadCSVErrors(t *testing.T) {
	cases := []struct {
		name, in string
		want     error
		text     string
	}{
		{"empty", "", ErrCSV, "empty"},
		{"no label", "a,b\n1,2\n", ErrCSV, "iou0"},
		{"no features", "iou0\n1\n", ErrCSV, "no feature"},
		{"header only", "a,iou0\n", ErrCSV, "no rows"},
		{"bad number", "a,iou0\nx,1\n", ErrCSV, "line 2 column a"},
		{"nan", "a,iou0\nNaN,1\n", ErrValue, "not finite"},
		{"inf", "a,iou0\n+Inf,0\n", ErrValue, "not finite"},
		{"label 2", "a,iou0\n1,2\n", ErrValue, "want 0 or 1"},
		{"short row", "a,b,iou0\n1,1\n", ErrCSV, "line 2"},
		{"repeated", "a,a,iou0\n1,1,0\n", ErrCSV, "repeated"},
		{"image late", "a,image,iou0\n1,x,0\n", ErrCSV, "first"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(c.in))
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("got %v, want %v with %q", err, c.want, c.text)
			}
		})
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add(smallCSV)
	f.Add("a,iou0\n1,0\n")
	f.Add("image,a,iou,iou0\n\"x,y\",1e308,0,1\n")
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ReadCSV(strings.NewReader(in))
		if err != nil {
			return
		}
		if len(d.X) != d.N()*d.P() || (d.Image != nil && len(d.Image) != d.N()) || (d.IoU != nil && len(d.IoU) != d.N()) {
			t.Fatalf("inconsistent dataset from %q", in)
		}
		var buf bytes.Buffer
		if err := d.WriteCSV(&buf); err != nil {
			t.Fatal(err)
		}
		d2, err := ReadCSV(&buf)
		if err != nil {
			t.Fatalf("re-reading written CSV: %v", err)
		}
		if d2.N() != d.N() || d2.P() != d.P() {
			t.Fatalf("round trip changed the shape")
		}
		for i, v := range d.X {
			if d2.X[i] != v {
				t.Fatalf("round trip changed %v to %v", v, d2.X[i])
			}
		}
	})
}

func TestSelectAndScaler(t *testing.T) {
	d, _ := ReadCSV(strings.NewReader(smallCSV))
	s := d.Select([]int{1})
	if s.P() != 1 || s.Names[0] != "b" || s.Row(2)[0] != 7 {
		t.Fatalf("select %+v", s)
	}
	sc := FitScaler([]float64{1, 10, 3, 10}, 2, nil)
	// column 0: mean 2, population std 1; column 1: constant, std 1 (an unseen value stays finite)
	if sc.Mean[0] != 2 || sc.Std[0] != 1+StdEps || sc.Std[1] != 1 {
		t.Fatalf("scaler %+v", sc)
	}
	if z := sc.Apply([]float64{3, 10}); z[0] != 1/(1+StdEps) || z[1] != 0 {
		t.Fatalf("apply %v", z)
	}
	if z := sc.Apply([]float64{3, 10.5}); z[1] != 0.5 {
		t.Fatalf("apply %v", z)
	}
	if sc := FitScaler([]float64{1, 10, 3, 10, 100, 0}, 2, []int{0, 1}); sc.Mean[0] != 2 {
		t.Fatalf("rows subset ignored: %+v", sc)
	}
}
