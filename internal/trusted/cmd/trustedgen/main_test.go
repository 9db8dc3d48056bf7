package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/opsgraph/opsgraph/internal/trusted"
)

// The embedded manifest is what the generator writes from the current SDK
// operations and saved operations (go generate ./... keeps it so).
func TestManifestIsCurrent(t *testing.T) {
	want, err := manifest("../../../../sdk/operations.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("internal/trusted/manifest.json is stale: run go generate ./... (or go run ./internal/trusted/cmd/trustedgen)")
	}
	m := trusted.Embedded()
	sources := map[string]int{}
	for _, d := range m.Documents {
		sources[d.Source]++
	}
	if sources[trusted.SourceSDK] == 0 || sources[trusted.SourceExplorer] == 0 {
		t.Fatalf("manifest documents by source: %v", sources)
	}
}
