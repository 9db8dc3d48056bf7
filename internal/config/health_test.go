package config

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/opsgraph/opsgraph/internal/health"
)

func TestLoadHealthModel(t *testing.T) {
	var c Config
	if m, err := c.LoadHealthModel(); m != nil || err != nil {
		t.Fatalf("no file: %v %v, want the built-in model (nil)", m, err)
	}
	dir := t.TempDir()
	want := health.DefaultModel()
	want.Bands.Green = 80
	raw, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "model.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"version": 1, "measures": [], "bands": {"green": 70, "yellow": 40}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c.HealthModel = good
	m, err := c.LoadHealthModel()
	if err != nil || m == nil || m.Fingerprint() != want.Fingerprint() {
		t.Fatalf("model file: %+v %v", m, err)
	}
	c.HealthModel = bad
	if _, err := c.LoadHealthModel(); !errors.Is(err, health.ErrInvalidModel) {
		t.Fatalf("invalid model file: err = %v", err)
	}
	c.HealthModel = filepath.Join(dir, "missing.json")
	if _, err := c.LoadHealthModel(); err == nil {
		t.Fatal("a missing file was accepted")
	}
}

func TestHealthModelSetting(t *testing.T) {
	t.Setenv("OPSGRAPH_HEALTH_MODEL", "/etc/opsgraph/health.json")
	parse := func(args ...string) string {
		var c Config
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.Register(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return c.HealthModel
	}
	if got := parse(); got != "/etc/opsgraph/health.json" {
		t.Fatalf("from the environment: %q", got)
	}
	if got := parse("--health-model", "m.json"); got != "m.json" {
		t.Fatalf("the flag wins: %q", got)
	}
}
