package frame

import "testing"

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		s      string
		w, h   int
		wantOK bool
	}{
		{"1024x512", 1024, 512, true},
		{" 64X32 ", 64, 32, true},
		{"16x16", 16, 16, true},
		{"15x16", 0, 0, false}, // below lo
		{"16385x16", 0, 0, false},
		{"1024", 0, 0, false},
		{"x512", 0, 0, false},
		{"1024x", 0, 0, false},
		{"-5x10", 0, 0, false},
		{"1.5x2", 0, 0, false},
		{"", 0, 0, false},
	} {
		w, h, err := ParseSize(tc.s, 16, 16384)
		if (err == nil) != tc.wantOK || w != tc.w || h != tc.h {
			t.Errorf("ParseSize(%q) = %d, %d, %v", tc.s, w, h, err)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1024x512", "1x1", "x", "99999999999999999999x1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, h, err := ParseSize(s, 1, 16384)
		if err == nil && (w < 1 || h < 1 || w > 16384 || h > 16384) {
			t.Fatalf("%q → %dx%d out of range without an error", s, w, h)
		}
	})
}
