package sdk_test

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"testing"

	"github.com/opsgraph/opsgraph/sdk"
)

// The examples run against a real OpsGraph server: OPSGRAPH_URL and
// OPSGRAPH_TOKEN (an ADMIN token) when set, else the server of this
// repository, built and started on an empty SQLite file with the demo data.
// Outside the repository without those variables, only the tests run.
var (
	serverURL string
	token     string
)

func TestMain(m *testing.M) {
	flag.Parse()
	stop := func() {}
	serverURL, token = os.Getenv("OPSGRAPH_URL"), os.Getenv("OPSGRAPH_TOKEN")
	if serverURL == "" {
		var err error
		serverURL, token, stop, err = startServer()
		if errors.Is(err, os.ErrNotExist) {
			fmt.Fprintln(os.Stderr, "sdk: no server for the examples (set OPSGRAPH_URL and OPSGRAPH_TOKEN); running the tests only")
			_ = flag.Set("test.run", "^Test")
		} else if err != nil {
			fmt.Fprintln(os.Stderr, "sdk: starting the server for the examples:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// startServer builds ../cmd/opsgraph and serves the demo data on a free
// port, returning its URL and the ADMIN token it prints.
func startServer() (url, tok string, stop func(), err error) {
	if _, err := os.Stat(filepath.Join("..", "cmd", "opsgraph", "main.go")); err != nil {
		return "", "", nil, err
	}
	dir, err := os.MkdirTemp("", "opsgraph-sdk-examples-")
	if err != nil {
		return "", "", nil, err
	}
	bin := filepath.Join(dir, "opsgraph")
	build := exec.Command("go", "build", "-o", bin, "./cmd/opsgraph")
	build.Dir = ".."
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return "", "", nil, fmt.Errorf("go build: %w", err)
	}
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--sqlite-path", filepath.Join(dir, "opsgraph.db"), "--sweep-interval", "0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", "", nil, err
	}
	stop = func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		_ = os.RemoveAll(dir)
	}
	tokenRE, urlRE := regexp.MustCompile(`export OPSGRAPH_TOKEN=(\S+)`), regexp.MustCompile(`GraphQL:\s+(http://\S+/graphql)`)
	found := make(chan [2]string, 1)
	go func() {
		var u, t string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := tokenRE.FindStringSubmatch(sc.Text()); m != nil {
				t = m[1]
			}
			if m := urlRE.FindStringSubmatch(sc.Text()); m != nil {
				u = m[1]
			}
			if u != "" && t != "" {
				found <- [2]string{u, t}
				u, t = "", ""
			}
		}
	}()
	select {
	case f := <-found:
		return f[0], f[1], stop, nil
	case <-time.After(3 * time.Minute):
		stop()
		return "", "", nil, errors.New("the server printed no URL and token within 3 minutes")
	}
}

// List every account, lazily page by page.
func Example() {
	ctx := context.Background()
	client := sdk.New(serverURL, sdk.WithToken(token))
	n := 0
	for acct, err := range client.Accounts(ctx, sdk.AccountsVars{}) {
		if err != nil {
			log.Fatal(err)
		}
		_ = acct.Name
		n++
	}
	fmt.Println(n, "accounts")
	// Output: 200 accounts
}

// Filter and sort with the generated where and orderBy inputs; one page.
func ExampleClient_AccountsPage() {
	ctx := context.Background()
	client := sdk.New(serverURL, sdk.WithToken(token))
	page, err := client.AccountsPage(ctx, sdk.AccountsVars{
		First:   sdk.Ptr(3),
		Where:   &sdk.AccountWhereInput{Segment: sdk.Ptr(sdk.AccountSegmentEnterprise), HasParent: sdk.Ptr(false)},
		OrderBy: []sdk.AccountOrder{{Field: sdk.AccountOrderFieldName}},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range page.Accounts.Edges {
		fmt.Println(e.Node.Segment, e.Node.Parent == nil)
	}
	fmt.Println("more:", page.Accounts.PageInfo.HasNextPage)
	// Output:
	// ENTERPRISE true
	// ENTERPRISE true
	// ENTERPRISE true
	// more: true
}

// Submitting an order with an idempotency key is safe to retry: the SDK
// retries it on network errors, and the server returns the order the first
// request created.
func ExampleClient_OrderSubmit() {
	ctx := context.Background()
	client := sdk.New(serverURL, sdk.WithToken(token))
	contracts, err := client.ContractsPage(ctx, sdk.ContractsVars{First: sdk.Ptr(1),
		Where: &sdk.ContractWhereInput{Status: sdk.Ptr(sdk.ContractStatusActive), EndDateGT: sdk.Ptr(time.Now()), HasItems: sdk.Ptr(true)}})
	if err != nil {
		log.Fatal(err)
	}
	contract := contracts.Contracts.Edges[0].Node
	item, err := client.ContractItemByID(ctx, contract.Items[0].Id)
	if err != nil {
		log.Fatal(err)
	}
	submit := sdk.OrderSubmitVars{
		IdempotencyKey: sdk.Ptr("example-order-1"), // a fresh random value per order in real code
		Input: sdk.OrderSubmitInput{Order: &sdk.OrderCreateInput{
			AccountID:  contract.Account.Id,
			ContractID: &contract.Id,
			Lines:      []sdk.OrderLineInput{{Action: sdk.OrderLineActionAdd, ProductID: item.Product.Id, Quantity: sdk.Ptr[int64](1)}},
		}},
	}
	first, err := client.OrderSubmit(ctx, submit)
	if err != nil {
		log.Fatal(err)
	}
	again, err := client.OrderSubmit(ctx, submit)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(first.OrderSubmit.Order.Status, again.OrderSubmit.Order.Id == first.OrderSubmit.Order.Id)
	// Output: SUBMITTED true
}

// Business rule failures are typed: errors.As finds *sdk.UserErrors with a
// stable code and the input field at fault.
func ExampleUserErrors() {
	ctx := context.Background()
	client := sdk.New(serverURL, sdk.WithToken(token))
	_, err := client.AccountCreate(ctx, sdk.AccountCreateVars{Input: sdk.CreateAccountInput{
		Name: "", Segment: sdk.AccountSegmentSmb, Region: sdk.RegionEmea,
	}})
	var ue *sdk.UserErrors
	if errors.As(err, &ue) {
		for _, e := range ue.Errors {
			fmt.Println(e.Code, e.Field)
		}
	}
	// Output: REQUIRED [input name]
}

// Transport, authentication and authorization failures are *sdk.Error,
// with the HTTP status and each GraphQL error's code.
func ExampleError() {
	ctx := context.Background()
	client := sdk.New(serverURL, sdk.WithToken("expired-or-forged"))
	_, err := client.HealthModel(ctx)
	var e *sdk.Error
	if errors.As(err, &e) {
		fmt.Println(e.StatusCode, e.Code(), sdk.IsCode(err, sdk.CodeUnauthenticated))
	}
	// Output: 401 UNAUTHENTICATED true
}

// A report, through a hand-written operation with names and numbers.
func ExampleClient_RenewalCalendar() {
	ctx := context.Background()
	client := sdk.New(serverURL, sdk.WithToken(token))
	for r, err := range client.RenewalCalendar(ctx, sdk.RenewalCalendarVars{WithinDays: sdk.Ptr(30)}) {
		if err != nil {
			log.Fatal(err)
		}
		if r.DaysUntil > 30 {
			fmt.Println("outside the window:", r.Contract.Number)
		}
	}
	fmt.Println("done")
	// Output: done
}

// Tokens that rotate come from a TokenSource; retries and the HTTP client
// are options.
func ExampleNew() {
	client := sdk.New("https://opsgraph.example.com",
		sdk.WithTokenSource(sdk.TokenFunc(func(ctx context.Context) (string, error) {
			return os.Getenv("OPSGRAPH_TOKEN"), nil // e.g. from your identity provider
		})),
		sdk.WithRetry(sdk.Retry{MaxAttempts: 6, MinBackoff: 500 * time.Millisecond, MaxBackoff: 30 * time.Second}),
		sdk.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}),
	)
	_ = client
}
