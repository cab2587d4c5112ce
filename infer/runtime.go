package infer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// LibEnv is the environment variable naming the ONNX Runtime shared library.
const LibEnv = "METAOOD_ORT_LIB"

// LogEnv is the environment variable that sets ONNX Runtime's own log level (verbose, info,
// warning, error; default error). At warning it says which nodes a GPU provider did not take.
const LogEnv = "METAOOD_ORT_LOG"

func ortLogLevel(v string) (ort.EnvironmentOption, error) {
	switch strings.ToLower(v) {
	case "", "error":
		return ort.WithLogLevelError(), nil
	case "warning":
		return ort.WithLogLevelWarning(), nil
	case "info":
		return ort.WithLogLevelInfo(), nil
	case "verbose":
		return ort.WithLogLevelVerbose(), nil
	}
	return nil, fmt.Errorf("%w: %s=%q; use verbose, info, warning or error", ErrConfig, LogEnv, v)
}

// libName is the file the set-up script installs under <repo>/.cache/ort.
const libName = "libonnxruntime.so.1"

var (
	initMu   sync.Mutex
	initPath string // the library in use once Init succeeded
)

// Init loads the ONNX Runtime shared library and creates the process-wide environment.
// libPath is the --ort-lib flag ("" = locate it, see LocateLibrary). It is safe to call
// several times: after the first success further calls do nothing and return nil.
func Init(libPath string) error {
	initMu.Lock()
	defer initMu.Unlock()
	if ort.IsInitialized() {
		return nil
	}
	path, err := LocateLibrary(libPath)
	if err != nil {
		return err
	}
	ort.SetSharedLibraryPath(path)
	level, err := ortLogLevel(os.Getenv(LogEnv))
	if err != nil {
		return err
	}
	if err := ort.InitializeEnvironment(level); err != nil {
		return fmt.Errorf("%w: %s could not be loaded (%s); reinstall it with `scripts/setup.sh ort` or point %s (or the library path setting) at a working libonnxruntime.so",
			ErrNoRuntime, path, firstLine(err.Error()), LibEnv)
	}
	initPath = path
	return nil
}

// Shutdown destroys the process-wide environment (tests; a process may simply exit).
// Every Engine must be closed first.
func Shutdown() error {
	initMu.Lock()
	defer initMu.Unlock()
	if !ort.IsInitialized() {
		return nil
	}
	initPath = ""
	return ort.DestroyEnvironment()
}

// LibraryPath returns the library Init loaded ("" before Init).
func LibraryPath() string {
	initMu.Lock()
	defer initMu.Unlock()
	return initPath
}

// Version returns the loaded ONNX Runtime's version ("" before Init).
func Version() string {
	if !ort.IsInitialized() {
		return ""
	}
	return ort.GetVersion()
}

// LocateLibrary finds the ONNX Runtime shared library: flag (if not ""), then $METAOOD_ORT_LIB,
// then .cache/ort/libonnxruntime.so.1 beside the executable or in a folder above it, then the same
// walking up from the working directory. The error lists where it looked and how to install it.
func LocateLibrary(flag string) (string, error) {
	for _, named := range []struct{ what, path string }{{"the library path", flag}, {LibEnv, os.Getenv(LibEnv)}} {
		if named.path == "" {
			continue
		}
		if fileExists(named.path) {
			return filepath.Abs(named.path)
		}
		return "", fmt.Errorf("%w: %s %s does not exist; run `make setup` (or `scripts/setup.sh ort`) or fix the path",
			ErrNoRuntime, named.what, named.path)
	}
	var starts []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dir := filepath.Dir(exe)
		if p := filepath.Join(dir, libName); fileExists(p) {
			return p, nil
		}
		starts = append(starts, dir)
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, start := range starts {
		for dir := start; ; {
			p := filepath.Join(dir, ".cache", "ort", libName)
			if fileExists(p) {
				return p, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("%w: %s not found (set %s or the library path setting; looked for .cache/ort/%s beside the executable and above the working directory); run `make setup` or `scripts/setup.sh ort` in the metaood folder",
		ErrNoRuntime, libName, LibEnv, libName)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// firstLine keeps ONNX Runtime's messages to one readable line: the first line, without the
// source-file prefix ("/onnxruntime_src/…cc:1957 … [ONNXRuntimeError] : 1 : FAIL : ").
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "[ONNXRuntimeError]"); i >= 0 {
		rest := s[i:]
		for range 3 { // "[ONNXRuntimeError] : 1 : FAIL : message"
			if j := strings.Index(rest, " : "); j >= 0 {
				rest = rest[j+3:]
			}
		}
		s = strings.TrimSpace(rest)
	}
	return s
}
