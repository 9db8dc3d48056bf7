package config

import (
	"flag"
	"io"
	"slices"
	"testing"
)

func TestHTTPSettings(t *testing.T) {
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
	if c.MaxBodyBytes != 1<<20 || c.APQCacheSize != 1000 || c.TrustedRoles() != nil || c.Origins() != nil {
		t.Fatalf("defaults: %+v", c)
	}

	t.Setenv("OPSGRAPH_TRUSTED_DOCUMENTS_ROLES", "INTEGRATION, SUPPORT")
	t.Setenv("OPSGRAPH_CORS_ORIGINS", "https://portal.example.com,http://localhost:3000")
	t.Setenv("OPSGRAPH_MAX_BODY_BYTES", "65536")
	c, err = parse("--apq-cache-size", "50")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.TrustedRoles(), []string{"INTEGRATION", "SUPPORT"}) || !slices.Equal(c.Origins(), []string{"https://portal.example.com", "http://localhost:3000"}) ||
		c.MaxBodyBytes != 65536 || c.APQCacheSize != 50 {
		t.Fatalf("set: %+v", c)
	}

	for _, bad := range [][]string{
		{"--trusted-documents-roles", "ROBOT"},
		{"--cors-origins", "*"},
		{"--cors-origins", "https://portal.example.com/app"},
		{"--cors-origins", "portal.example.com"},
		{"--cors-origins", "https://*.example.com"},
		{"--max-body-bytes", "0"},
		{"--apq-cache-size", "-1"},
	} {
		if _, err := parse(bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	t.Setenv("OPSGRAPH_MAX_BODY_BYTES", "1MB")
	if _, err := parse(); err == nil {
		t.Error("OPSGRAPH_MAX_BODY_BYTES=1MB accepted")
	}
}
