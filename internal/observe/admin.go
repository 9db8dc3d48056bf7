package observe

import (
	"net/http"
	"net/http/pprof"
)

// AdminHandler serves the operator endpoints, on a listener apart from the
// API: /metrics (m, in the Prometheus formats) and the Go profiler under
// /debug/pprof/. Neither is ever on the public handler.
func AdminHandler(m *Metrics) http.Handler {
	mux := http.NewServeMux()
	if m != nil {
		mux.Handle("GET /metrics", m.Handler())
	}
	mux.HandleFunc("/debug/pprof/", pprof.Index) // also the named profiles: heap, goroutine, allocs, block, mutex …
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
