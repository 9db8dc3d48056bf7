package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"

	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// Websocket close codes of a refused connection_init (graphql-transport-ws).
const wsCloseForbidden = 4403

// wsTransport is gqlgen's websocket transport (graphql-transport-ws, and
// the older graphql-ws) for `Upgrade: websocket` requests only.
type wsTransport struct {
	transport.Websocket
	origins []string // allowed cross-origin pages, lower case
}

func (t wsTransport) Supports(r *http.Request) bool { return isWebsocket(r) }

// Do refuses a browser page of another origin (cross-site websocket
// hijacking) unless it is one of the CORS origins, then upgrades.
func (t wsTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || (!strings.EqualFold(u.Host, r.Host) && !slices.Contains(t.origins, strings.ToLower(o))) {
			writeHTTPError(w, mediaJSON, &httpError{http.StatusForbidden, "FORBIDDEN_ORIGIN",
				fmt.Sprintf("websocket connections from the origin %q are not allowed (see OPSGRAPH_CORS_ORIGINS)", o)})
			return
		}
	}
	// The slot lets connection_init (wsInit) reach the accepted connection.
	t.Websocket.Do(w, r.WithContext(context.WithValue(r.Context(), wsConnSlot{}, &wsConnHolder{})), exec)
}

// wsConnSlot is the context key of the *wsConnHolder of one upgrade.
type wsConnSlot struct{}

type wsConnHolder struct{ conn *politeConn }

func wsConnSlotFrom(ctx context.Context) *wsConnHolder {
	h, _ := ctx.Value(wsConnSlot{}).(*wsConnHolder)
	return h
}

// newWebsocket returns the websocket transport: connection_init must carry
// a token ({"Authorization": "Bearer …"} or {"token": "…"}) unless the
// upgrade request was authenticated by its Authorization header; browsers
// from the CORS origins may connect.
func newWebsocket(v *auth.Verifier, maxBody int64, corsOrigins []string) wsTransport {
	origins := make([]string, len(corsOrigins))
	for i, o := range corsOrigins {
		origins[i] = strings.ToLower(strings.TrimSuffix(o, "/"))
	}
	limit := maxBody
	return wsTransport{origins: origins, Websocket: transport.Websocket{
		// Do checks the origin.
		Implementation: goingAway{transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{InsecureSkipVerify: true}}},
		InitFunc:       wsInit(v),
		InitTimeout:    10 * time.Second,
		// graphql-ws keep-alives, and graphql-transport-ws pings a client
		// must answer within two intervals.
		KeepAlivePingInterval: 15 * time.Second,
		PingPongInterval:      30 * time.Second,
		PayloadReadLimit:      &limit,
	}}
}

// wsInit authenticates a websocket's connection_init with the Verifier the
// HTTP Middleware uses. A refused init closes the socket with 4403, and so
// does the token's expiry later.
func wsInit(v *auth.Verifier) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		vw := viewer.FromContext(ctx) // authenticated at the upgrade
		if vw == nil {
			header := p.Authorization()
			if tok := p.GetString("token"); header == "" && tok != "" {
				header = "Bearer " + tok
			}
			var err error
			if vw, err = v.Authenticate(header); err != nil {
				reason := "unauthenticated: " + auth.Reason(err)
				ctx = transport.WithWebsocketCloseCode(transport.AppendCloseReason(ctx, reason), wsCloseForbidden)
				return ctx, nil, errors.New(reason)
			}
			if s, ok := ctx.Value(subjectKey{}).(*string); ok {
				*s = vw.Subject
			}
			ctx = viewer.NewContext(ctx, vw)
		}
		if h := wsConnSlotFrom(ctx); h != nil && h.conn != nil && !vw.Expires.IsZero() {
			h.conn.expireAt(vw.Expires)
		}
		return context.WithValue(ctx, connViewerKey{}, vw), nil, nil
	}
}

type connViewerKey struct{}

// perConnectionOperation gives each operation on a websocket its own copy
// of the connection's viewer (nothing memoized for one operation, such as a
// CSM's book, is reused by a later one) and its own request info (the
// connection's operations run concurrently; the connection's log line does
// not name them).
func perConnectionOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	vw, ok := ctx.Value(connViewerKey{}).(*viewer.Viewer)
	if !ok {
		return next(ctx)
	}
	ctx = viewer.NewContext(ctx, vw.Fresh())
	if info := infoFrom(ctx); info != nil {
		ctx = context.WithValue(ctx, infoKey{}, &requestInfo{id: info.id})
	}
	return next(ctx)
}

// authenticate is auth.Middleware, except that a websocket upgrade without
// an Authorization header (browsers cannot send one) passes unauthenticated:
// its connection_init must then carry the token (wsInit).
func authenticate(v *auth.Verifier, next http.Handler) http.Handler {
	authed := auth.Middleware(v, next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebsocket(r) && r.Header.Get("Authorization") == "" {
			next.ServeHTTP(w, r)
			return
		}
		authed.ServeHTTP(w, r)
	})
}

// wsCloseGoingAway is the close code of websockets the server closes as it
// shuts down (RFC 6455 1001, going away): clients reconnect elsewhere.
const wsCloseGoingAway = 1001

// goingAway closes each accepted websocket with 1001 when the server that
// accepted it shuts down (Serve), and tells Serve when it is closed.
type goingAway struct {
	transport.WebsocketImplementation
}

func (g goingAway) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := g.WebsocketImplementation.Accept(w, r, opts)
	if err != nil {
		return c, err
	}
	pc := &politeConn{WebsocketConn: c, stop: func() bool { return false }, done: func() {}}
	if lc := lifecycleFrom(r.Context()); lc != nil {
		lc.sockets.Add(1)
		pc.done = sync.OnceFunc(lc.sockets.Done)
		pc.stop = context.AfterFunc(lc.stopping, func() { _ = c.WriteClose(wsCloseGoingAway, "server shutting down") })
	}
	if slot := wsConnSlotFrom(r.Context()); slot != nil {
		slot.conn = pc
	}
	return pc, nil
}

// politeConn is an accepted websocket: closed with 1001 when the server
// shuts down, and with 4403 when its viewer's token expires.
type politeConn struct {
	transport.WebsocketConn
	stop func() bool
	done func()

	mu     sync.Mutex
	expiry *time.Timer
	closed bool
}

// expireAt closes the connection with 4403 "token expired" at t: a
// websocket does not outlive the token it was opened with (clients
// reconnect with a fresh one).
func (c *politeConn) expireAt(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.expiry != nil {
		return
	}
	c.expiry = time.AfterFunc(time.Until(t), func() { _ = c.WriteClose(wsCloseForbidden, "token expired") })
}

func (c *politeConn) Close() error {
	c.mu.Lock()
	c.closed = true
	if c.expiry != nil {
		c.expiry.Stop()
	}
	c.mu.Unlock()
	c.stop()
	defer c.done()
	return c.WebsocketConn.Close()
}

func (c *politeConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (c *politeConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
