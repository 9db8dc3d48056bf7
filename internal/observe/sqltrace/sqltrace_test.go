package sqltrace_test

import (
	"context"
	"path/filepath"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/opsgraph/opsgraph/internal/migrate"
	"github.com/opsgraph/opsgraph/internal/store"
)

// Statements are traced inside a trace only, in and out of transactions.
func TestSpansOnlyWithinATrace(t *testing.T) {
	ctx := context.Background()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(t.TempDir(), "t.db"), TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrate.Apply(ctx, db.SQL, db.Dialect); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Client.Product.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Fatalf("%d spans outside a trace", n)
	}
	tctx, parent := tp.Tracer("test").Start(ctx, "request")
	if _, err := db.Client.Product.Query().Count(tctx); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Client.Tx(tctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Product.Query().Count(tctx); err != nil {
		t.Fatal(err)
	}
	_ = tx.Rollback()
	parent.End()
	var queries int
	for _, s := range rec.Ended() {
		if s.Name() == "db.query" {
			queries++
			if s.Parent().SpanID() != parent.SpanContext().SpanID() {
				t.Errorf("db.query not under the request span")
			}
		}
	}
	if queries != 2 {
		t.Errorf("%d db.query spans, want 2", queries)
	}
}
