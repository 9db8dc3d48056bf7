package sdkcheck_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// consumer is a program outside this repository: it requires the SDK
// module (through a replace, as there is no published version here) and
// lists accounts with five lines of code.
const consumer = `package main

import (
	"context"
	"fmt"
	"os"

	"github.com/opsgraph/opsgraph/sdk"
)

func main() {
	c := sdk.New(os.Getenv("OPSGRAPH_URL"), sdk.WithToken(os.Getenv("OPSGRAPH_TOKEN")))
	for acct, err := range c.Accounts(context.Background(), sdk.AccountsVars{}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(acct.Name)
	}
}
`

func TestProgramOutsideTheRepository(t *testing.T) {
	_, here, _, _ := runtime.Caller(0)
	sdkDir, err := filepath.Abs(filepath.Join(filepath.Dir(here), "..", "..", "sdk"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(sdkDir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module example.com/consumer\n\ngo 1.26\n\nrequire github.com/opsgraph/opsgraph/sdk v0.1.0\n\nreplace github.com/opsgraph/opsgraph/sdk => " + sdkDir + "\n"
	for name, content := range map[string]string{"go.mod": gomod, "main.go": consumer, "go.sum": string(sum)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goCmd := func(args ...string) string {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		// Only what the SDK module itself needs, from the module cache: the
		// server's module (ent, gqlgen, drivers) is not pulled in.
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// `go mod tidy -e`: tidy also wants the test dependencies of the SDK's
	// dependencies (testify, yaml), which a fresh module cache lacks and
	// GOPROXY=off cannot fetch; -e records what it can and carries on, and
	// the build below needs only what the SDK imports.
	goCmd("mod", "tidy", "-e")
	deps := goCmd("list", "-deps", ".")
	for _, heavy := range []string{"entgo.io/ent", "github.com/99designs/gqlgen", "github.com/lib/pq", "modernc.org/sqlite"} {
		if strings.Contains(deps, heavy) {
			t.Errorf("the SDK pulls in %s", heavy)
		}
	}
	bin := filepath.Join(dir, "consumer")
	goCmd("build", "-o", bin, ".")

	db := seedtest.Demo(t, dialect.SQLite, now)
	srv := apitest.NewAt(t, db, func() time.Time { return now })
	run := exec.Command(bin)
	run.Env = append(os.Environ(), "OPSGRAPH_URL="+srv.URL, "OPSGRAPH_TOKEN="+srv.Token("consumer@opsgraph.example", viewer.RoleOpsManager))
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("consumer: %v\n%s", err, out)
	}
	if lines := strings.Count(string(out), "\n"); lines != 200 {
		t.Fatalf("the consumer listed %d accounts, want 200:\n%s", lines, out)
	}
}
