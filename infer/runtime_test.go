package infer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLocateLibrary(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "repo", ".cache", "ort", libName)
	if err := os.MkdirAll(filepath.Dir(lib), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lib, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(dir, "repo", "cmd", "metaood")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, flag, env, wd string
		want                string // "" = error
		msg                 string
	}{
		{name: "flag", flag: lib, env: "/nope", want: lib},
		{name: "env", env: lib, want: lib},
		{name: "missing flag", flag: "/nope/lib.so", msg: "the library path /nope/lib.so does not exist"},
		{name: "missing env", env: "/nope/lib.so", msg: LibEnv + " /nope/lib.so does not exist"},
		{name: "walk up from working dir", wd: deep, want: lib},
		{name: "nowhere", wd: dir, msg: "scripts/setup.sh ort"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(LibEnv, tc.env)
			if tc.wd != "" {
				t.Chdir(tc.wd)
			}
			got, err := LocateLibrary(tc.flag)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("got %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, ErrNoRuntime) || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "setup") {
				t.Fatalf("err = %v; want ErrNoRuntime naming %q and the set-up step", err, tc.msg)
			}
		})
	}
}

func TestLoadModel(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.onnx")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "missing.onnx"), empty} {
		if _, err := LoadModel(p); !errors.Is(err, ErrModel) || !strings.Contains(err.Error(), p) {
			t.Errorf("LoadModel(%s) = %v, want ErrModel naming the file", p, err)
		}
	}
}

func TestFirstLine(t *testing.T) {
	for in, want := range map[string]string{
		"plain": "plain",
		"a\nb":  "a",
		"Error creating C session: /src/x.cc:12 f() [ONNXRuntimeError] : 1 : FAIL : Load model failed\nmore": "Load model failed",
	} {
		if got := firstLine(in); got != want {
			t.Errorf("firstLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestORTLogLevel(t *testing.T) {
	for _, v := range []string{"", "error", "WARNING", "info", "verbose"} {
		if _, err := ortLogLevel(v); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
	if _, err := ortLogLevel("loud"); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), LogEnv) {
		t.Errorf("loud: err = %v, want ErrConfig naming %s", err, LogEnv)
	}
}
