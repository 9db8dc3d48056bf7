package store

import (
	"context"
	stdsql "database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
)

// Unavailable reports whether err means the database could not serve the
// statement at all, rather than refusing it: it is unreachable (connection
// refused, a network error), it dropped the connection (restart, failover,
// pg_terminate_backend: "terminating connection due to administrator
// command"), it is starting up or shutting down, it has no connection slot
// left, or the pool stayed exhausted past the acquire timeout (ErrBusy).
// The statement did not commit, so a retry is safe; the server answers 503
// with extensions.code UNAVAILABLE. A statement cancelled by the request
// timeout is not unavailability (TIMEOUT).
func Unavailable(err error) bool {
	if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false // the request's own deadline or cancellation, not the database
	}
	if errors.Is(err, ErrBusy) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, stdsql.ErrConnDone) {
		return true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code.Class() {
		case "08": // connection exception
			return true
		case "57": // operator intervention: admin/crash shutdown, cannot connect now
			return pqErr.Code != "57014" // query_canceled: the request timeout
		case "53": // insufficient resources: too_many_connections
			return pqErr.Code == "53300"
		}
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF)
}
