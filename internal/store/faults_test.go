package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/lib/pq"
)

func TestUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &net.AddrError{Err: "connection refused"}}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("boom"), false},
		{fmt.Errorf("querying: %w", refused), true},
		{fmt.Errorf("x: %w", syscall.ECONNREFUSED), true},
		{fmt.Errorf("x: %w", syscall.ECONNRESET), true},
		{driver.ErrBadConn, true},
		{io.ErrUnexpectedEOF, true},
		{fmt.Errorf("starting transaction: %w", ErrBusy), true},
		{&pq.Error{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{&pq.Error{Code: "57P03", Message: "the database system is shutting down"}, true},
		{&pq.Error{Code: "08006"}, true},
		{&pq.Error{Code: "53300"}, true},
		{&pq.Error{Code: "57014", Message: "canceling statement due to user request"}, false},
		{&pq.Error{Code: "23505"}, false},
		{context.DeadlineExceeded, false},
		{context.Canceled, false},
	} {
		if got := Unavailable(c.err); got != c.want {
			t.Errorf("Unavailable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
