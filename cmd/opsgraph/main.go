// Command opsgraph runs the OpsGraph GraphQL API server and its tools. See
// "opsgraph help".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/opsgraph/opsgraph/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
