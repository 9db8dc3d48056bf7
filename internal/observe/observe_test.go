package observe

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestLabelValuesAreBounded(t *testing.T) {
	s := newLabelSet(3)
	for in, want := range map[string]string{
		"accountList": "accountList", "_x9": "_x9", "9lives": Other, "a-b": Other, "": Other,
		strings.Repeat("a", 64): strings.Repeat("a", 64), strings.Repeat("a", 65): Other, "héllo": Other,
	} {
		if got := newLabelSet(10).value(in); got != want {
			t.Errorf("value(%q) = %q, want %q", in, got, want)
		}
	}
	for i := range 3 {
		if got := s.value(fmt.Sprintf("op%d", i)); got != fmt.Sprintf("op%d", i) {
			t.Errorf("op%d = %q", i, got)
		}
	}
	if got := s.value("op3"); got != Other {
		t.Errorf("the 4th distinct name = %q, want other", got)
	}
	if got := s.value("op1"); got != "op1" {
		t.Errorf("a name seen before = %q", got)
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.ObserveGraphQL(GraphQLRequest{Operation: "x", Type: "query"})
	m.ObserveHTTP("GET /healthz", 200)
	m.RateLimited("ADMIN")
	m.WatchDB(nil, nil)
}

func TestOTLPTracesURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://collector:4318":            "http://collector:4318/v1/traces",
		"http://collector:4318/":           "http://collector:4318/v1/traces",
		"https://otel.example/custom/path": "https://otel.example/custom/path",
	} {
		if got, err := OTLPTracesURL(in); err != nil || got != want {
			t.Errorf("OTLPTracesURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"collector:4318", "ftp://x", "http://"} {
		if _, err := OTLPTracesURL(bad); err == nil {
			t.Errorf("OTLPTracesURL(%q) accepted", bad)
		}
	}
}

// Unconfigured, there is no provider; configured, spans reach the
// collector when the provider shuts down.
func TestTracerProviderExportsOnShutdown(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	ctx := context.Background()
	if tp, err := NewTracerProvider(ctx, ""); tp != nil || err != nil {
		t.Fatalf("unconfigured: %v, %v", tp, err)
	}
	var posts atomic.Int32
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Method == http.MethodPost && r.URL.Path == "/v1/traces" {
			posts.Add(1)
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	tp, err := NewTracerProvider(ctx, collector.URL)
	if err != nil || tp == nil {
		t.Fatalf("configured: %v, %v", tp, err)
	}
	_, span := tp.Tracer(TracerName).Start(ctx, "test")
	span.End()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if posts.Load() == 0 {
		t.Error("no spans reached the collector at shutdown")
	}
}
