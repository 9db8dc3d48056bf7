package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/internal/sla"
)

func TestSLAPolicySetting(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"targets": {"P1": {"response": "15m", "resolution": "2h"}}, "calendar": {"timeZone": "UTC", "open": "09:00", "close": "17:00"}}`)
	bad := write("bad.json", `{"targets": {"P1": {"response": "9h"}}}`)
	load := func(args ...string) (*sla.Policy, error) {
		var c Config
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.Register(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		if err := c.Check(); err != nil {
			t.Fatal(err)
		}
		return c.LoadSLAPolicy()
	}

	if p, err := load(); err != nil || p != nil {
		t.Fatalf("unset: %v, %v; want no policy (the default)", p, err)
	}
	t.Setenv("OPSGRAPH_SLA_POLICY", good)
	p, err := load()
	if err != nil {
		t.Fatal(err)
	}
	if p.Targets[sla.P1].Response != 15*time.Minute || p.Targets[sla.P2] != sla.DefaultPolicy().Targets[sla.P2] || p.Calendar == nil {
		t.Fatalf("from the environment: %+v", p)
	}
	// The flag wins; a bad file and a missing one are refused with their name.
	for _, path := range []string{bad, filepath.Join(dir, "missing.json")} {
		if _, err := load("--sla-policy", path); err == nil || !strings.Contains(err.Error(), filepath.Base(path)) {
			t.Errorf("%s: err = %v", path, err)
		}
	}
	if p, err := load("--sla-policy", ""); err != nil || p != nil {
		t.Fatalf("flag cleared: %v, %v", p, err)
	}
}
