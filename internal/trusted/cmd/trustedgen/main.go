// Command trustedgen writes the manifest of trusted documents
// (internal/trusted/manifest.json) from the SDK's operations
// (sdk/operations.json, written by genqlient) and the explorer's saved
// operations (internal/explorer/operations). It runs in the
// `go generate ./...` chain after the SDK steps; the output is sorted, so
// running it twice changes nothing.
//
//	go run ./internal/trusted/cmd/trustedgen [-sdk sdk/operations.json] [-out internal/trusted/manifest.json]
package main

import (
	"flag"
	"log"
	"os"

	"github.com/opsgraph/opsgraph/internal/explorer"
	"github.com/opsgraph/opsgraph/internal/trusted"
)

func main() {
	sdk := flag.String("sdk", "sdk/operations.json", "genqlient's operations manifest of the SDK")
	out := flag.String("out", "internal/trusted/manifest.json", "the manifest to write")
	flag.Parse()
	data, err := manifest(*sdk)
	if err != nil {
		log.Fatalf("trustedgen: %v", err)
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		log.Fatalf("trustedgen: %v", err)
	}
}

// manifest returns the manifest file of the SDK operations in sdkPath and
// the explorer's saved operations.
func manifest(sdkPath string) ([]byte, error) {
	raw, err := os.ReadFile(sdkPath)
	if err != nil {
		return nil, err
	}
	docs, err := trusted.SDKDocuments(raw)
	if err != nil {
		return nil, err
	}
	ops, err := explorer.Operations()
	if err != nil {
		return nil, err
	}
	for _, op := range ops {
		// The text a saved operation's tab opens with, as the explorer sends it.
		docs = append(docs, trusted.Document{OperationName: op.OperationName, Source: trusted.SourceExplorer, Query: op.Query})
	}
	return trusted.Build(docs).JSON()
}
