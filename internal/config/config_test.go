package config

import (
	"flag"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

// The README's configuration table lists every setting with its default.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for _, s := range Settings {
		def := "(empty)"
		if s.Default != "" {
			def = "`" + s.Default + "`"
		}
		row := "| `--" + s.Flag + "` | `" + s.Env + "` | " + def + " |"
		if !strings.Contains(readme, row) {
			t.Errorf("README lacks the row starting %q", row)
		}
	}
}

func TestEnvironmentAndFlags(t *testing.T) {
	t.Setenv("OPSGRAPH_ADDR", "127.0.0.1:9999")
	t.Setenv("OPSGRAPH_SEED", "false")
	var c Config
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Register(fs)
	if err := fs.Parse([]string{"--migrate=false"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.Seed || c.Migrate || !c.Introspection || c.SQLitePath != "opsgraph.db" ||
		c.AdminAddr != "127.0.0.1:9090" || c.OTLPEndpoint != "" {
		t.Fatalf("config = %+v", c)
	}
	for env, val := range map[string]string{
		"OPSGRAPH_SEED":            "maybe",
		"OPSGRAPH_DB_MAX_CONNS":    "-1",
		"OPSGRAPH_SHUTDOWN_GRACE":  "soon",
		"OPSGRAPH_LOG_FORMAT":      "xml",
		"OPSGRAPH_DATABASE_URL":    "mysql://x",
		"OPSGRAPH_AUTH_PRODUCTION": "maybe",
		"OPSGRAPH_JWKS_URL":        "ftp://idp.example/jwks",
		"OPSGRAPH_ADMIN_ADDR":      "9090",
		"OPSGRAPH_OTLP_ENDPOINT":   "collector:4318",
		"OPSGRAPH_MEMORY_LIMIT":    "lots",
		"OPSGRAPH_GC_PERCENT":      "0",
	} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, val)
			var c Config
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c.Register(fs)
			_ = fs.Parse(nil)
			if err := c.Check(); err == nil {
				t.Fatalf("%s=%s accepted", env, val)
			}
		})
	}
}

func TestJWKSSettings(t *testing.T) {
	parse := func(args ...string) (*Config, error) {
		var c Config
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.Register(fs)
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		return &c, c.Check()
	}
	c, err := parse()
	if err != nil {
		t.Fatal(err)
	}
	if c.JWKS() || c.AuthProduction {
		t.Fatalf("defaults: JWKS %v, production %v", c.JWKS(), c.AuthProduction)
	}

	t.Setenv("OPSGRAPH_JWKS_URL", "https://idp.example/.well-known/jwks.json")
	t.Setenv("OPSGRAPH_AUTH_PRODUCTION", "true")
	c, err = parse()
	if err != nil {
		t.Fatal(err)
	}
	if !c.JWKS() || c.JWKSURL != "https://idp.example/.well-known/jwks.json" || !c.AuthProduction {
		t.Fatalf("from the environment: %+v", c)
	}
	// Flags win; a URL and a file together are refused.
	if c, err = parse("--auth-production=false", "--jwks-url", "", "--jwks-file", "/etc/opsgraph/jwks.json"); err != nil {
		t.Fatal(err)
	}
	if c.AuthProduction || c.JWKSURL != "" || c.JWKSFile != "/etc/opsgraph/jwks.json" {
		t.Fatalf("flags: %+v", c)
	}
	if _, err := parse("--jwks-file", "/etc/opsgraph/jwks.json"); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("URL and file: err = %v", err)
	}
}

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"4096", 4096, true}, {"128MiB", 128 << 20, true}, {"1 GiB", 1 << 30, true},
		{"64KiB", 64 << 10, true}, {"100B", 100, true},
		{"", 0, false}, {"lots", 0, false}, {"-1MiB", 0, false}, {"1.5GiB", 0, false}, {"10MB", 0, false},
		{"9000000000GiB", 0, false},
	} {
		got, err := ParseBytes(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

// The settings drive the collector unless Go's own variables are set.
func TestApplyRuntime(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		if old, ok := os.LookupEnv(name); ok {
			os.Unsetenv(name)
			defer os.Setenv(name, old)
		}
	}
	c := Config{GCPercent: 400, MemoryLimit: "128MiB"}
	if r := c.ApplyRuntime(); r != (Runtime{GCPercent: 400, MemoryLimit: 128 << 20}) {
		t.Errorf("settings: %+v", r)
	}
	c = Config{GCPercent: 250, MemoryLimit: "0"}
	if r := c.ApplyRuntime(); r != (Runtime{GCPercent: 250}) {
		t.Errorf("no limit: %+v", r)
	}
	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetGCPercent(150) // as the runtime did at start
	c = Config{GCPercent: 400, MemoryLimit: "128MiB"}
	if r := c.ApplyRuntime(); r.GCPercent != 150 || !r.FromGOGC || !r.FromGOMEMLIMIT || r.MemoryLimit == 128<<20 {
		t.Errorf("GOGC and GOMEMLIMIT set: %+v", r)
	}
}
