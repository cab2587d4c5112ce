package event

import (
	"errors"
	"strings"
	"testing"
)

func TestParseTypes(t *testing.T) {
	cases := []struct {
		in   []string
		want string // the set's String, or the error text to find
		err  bool
	}{
		{[]string{"emergency", "clear"}, "emergency,clear", false},
		{[]string{" clear ", "emergency", "clear"}, "emergency,clear", false},
		{[]string{"all"}, "all", false},
		{[]string{"stats", "all"}, "all", false},
		{[]string{"anomalies", "emergency", "clear", "source", "stats"}, "all", false},
		{[]string{"emergencies"}, `"emergencies"; valid types: anomalies, emergency, clear, source, stats, or all`, true},
		{[]string{"Emergency"}, `"Emergency"`, true},
		{[]string{""}, `""; valid types`, true},
		{nil, "no type given", true},
	}
	for _, c := range cases {
		set, err := ParseTypes(c.in)
		if c.err {
			if !errors.Is(err, ErrTypes) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%q: err = %v, want ErrTypes containing %q", c.in, err, c.want)
			}
			continue
		}
		if err != nil || set.String() != c.want {
			t.Errorf("%q: %q, %v; want %q", c.in, set.String(), err, c.want)
		}
	}
}

func TestCritical(t *testing.T) {
	for _, typ := range Types {
		if want := typ == TypeEmergency || typ == TypeClear; Critical(typ) != want {
			t.Errorf("Critical(%s) = %v", typ, !want)
		}
	}
}

// FuzzParseTypes: any comma-separated list either fails with ErrTypes or gives a set whose
// String parses back to the same set.
func FuzzParseTypes(f *testing.F) {
	for _, s := range []string{"emergency,clear", "all", "", "stats,,x", "Emergency"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		set, err := ParseTypes(strings.Split(list, ","))
		if err != nil {
			if !errors.Is(err, ErrTypes) {
				t.Fatalf("%q: error %v is not ErrTypes", list, err)
			}
			return
		}
		again, err := ParseTypes(strings.Split(set.String(), ","))
		if err != nil || again.String() != set.String() {
			t.Fatalf("%q → %q → %q, %v", list, set.String(), again.String(), err)
		}
	})
}
