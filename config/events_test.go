package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMQTTPassword(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	if err := os.WriteFile(file, []byte("s3cret\r\nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(MQTTPasswordEnv, "from-env")
	c := Default()
	if pw, err := c.MQTTPassword(); pw != "from-env" || err != nil {
		t.Errorf("no file: %q, %v; want the environment's", pw, err)
	}
	c.MQTTPasswordFile = file
	if pw, err := c.MQTTPassword(); pw != "s3cret" || err != nil {
		t.Errorf("file: %q, %v; want its first line", pw, err)
	}
	c.MQTTPasswordFile = filepath.Join(dir, "missing")
	if _, err := c.MQTTPassword(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "--mqtt-password-file") {
		t.Errorf("missing file: %v, want ErrConfig naming the flag", err)
	}
}
