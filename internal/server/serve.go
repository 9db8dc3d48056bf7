package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Listen opens the listening socket for addr ("host:port"; port 0 picks one).
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return ln, nil
}

// lifecycle tells the websockets of a server (which http.Server.Shutdown
// neither closes nor waits for: they are hijacked) that it shuts down, and
// counts them until they are closed.
type lifecycle struct {
	stopping context.Context
	sockets  sync.WaitGroup
}

type lifecycleKey struct{}

func lifecycleFrom(ctx context.Context) *lifecycle {
	l, _ := ctx.Value(lifecycleKey{}).(*lifecycle)
	return l
}

// Serve serves h on ln until ctx ends, then shuts down gracefully: the
// listener closes (new connections are refused), in-flight requests get up
// to grace to finish, and websockets are closed with 1001 (going away) and
// waited for within the same grace.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, log *slog.Logger) error {
	stopping, stop := context.WithCancel(context.Background())
	defer stop()
	lc := &lifecycle{stopping: stopping}
	srv := &http.Server{
		BaseContext:       func(net.Listener) context.Context { return context.WithValue(context.Background(), lifecycleKey{}, lc) },
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	srv.RegisterOnShutdown(stop)
	err := srv.Shutdown(sctx)
	closed := make(chan struct{})
	go func() { lc.sockets.Wait(); close(closed) }()
	select {
	case <-closed:
	case <-sctx.Done():
		log.Warn("websockets still open after the shutdown grace")
	}
	if err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// IsLoopback reports whether the host of addr only accepts connections from
// this machine.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
