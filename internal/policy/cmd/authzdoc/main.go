// Command authzdoc writes docs/authorization.md from the authorization
// matrix in internal/policy. It runs in the `go generate ./...` chain.
package main

import (
	"log"
	"os"

	"github.com/opsgraph/opsgraph/internal/policy"
)

func main() {
	out := "docs/authorization.md"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	if err := os.WriteFile(out, []byte(policy.Markdown()), 0o644); err != nil {
		log.Fatalf("authzdoc: %v", err)
	}
}
