package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:80": true, "[::1]:8080": true, "127.0.0.2:1": true,
		"0.0.0.0:8080": false, ":8080": false, "10.0.0.5:8080": false, "[::]:8080": false, "bad": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestReadinessFollowsTheDatabase(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	v, err := auth.NewVerifier(auth.Config{Secret: []byte(strings.Repeat("s", 32))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(Handler(Options{DB: db, Verifier: v, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer ts.Close()
	get := func(path string) int {
		res, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if get("/readyz") != http.StatusOK || get("/healthz") != http.StatusOK {
		t.Fatal("not ready with an open database")
	}
	db.SQL.Close()
	if got := get("/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d with the database closed, want 503", got)
	}
	if get("/healthz") != http.StatusOK {
		t.Errorf("/healthz must not depend on the database")
	}
}

func TestErrorPresenter(t *testing.T) {
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "accounts"}}})
	present := presentError(slog.New(slog.NewTextHandler(io.Discard, nil)))

	internal := present(ctx, errors.New(`pq: relation "secret_table" does not exist`))
	if internal.Extensions["code"] != "INTERNAL_SERVER_ERROR" || strings.Contains(internal.Message, "secret_table") {
		t.Errorf("internal error leaked: %+v", internal)
	}
	timeout := present(ctx, context.DeadlineExceeded)
	if timeout.Extensions["code"] != "TIMEOUT" {
		t.Errorf("deadline: %+v", timeout)
	}
	coded := present(ctx, &gqlerror.Error{Message: "nope", Extensions: map[string]any{"code": "FORBIDDEN"}})
	if coded.Extensions["code"] != "FORBIDDEN" || coded.Message != "nope" {
		t.Errorf("coded error changed: %+v", coded)
	}
	input := present(ctx, &gqlerror.Error{Message: "bad argument"})
	if input.Extensions["code"] != "BAD_USER_INPUT" {
		t.Errorf("uncoded gqlerror: %+v", input)
	}
}
