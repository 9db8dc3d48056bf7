// Command sdkgen generates the Go SDK in sdk/ (see internal/sdkgen). It runs
// twice in the `go generate ./...` chain:
//
//	sdkgen prepare sdk   # schema, default operations, input types, genqlient.yaml
//	go tool genqlient sdk/genqlient.yaml
//	sdkgen client sdk    # the typed client methods
package main

import (
	"fmt"
	"os"

	"github.com/opsgraph/opsgraph/graph"
	"github.com/opsgraph/opsgraph/internal/sdkgen"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sdkgen prepare|client SDK_DIR")
		os.Exit(2)
	}
	var err error
	switch dir := os.Args[2]; os.Args[1] {
	case "prepare":
		err = sdkgen.Prepare(dir, graph.SDL())
	case "client":
		err = sdkgen.Client(dir)
	default:
		err = fmt.Errorf("unknown step %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkgen:", err)
		os.Exit(1)
	}
}
