// Package sdk is the typed Go client of the OpsGraph GraphQL API.
//
// Every Query and Mutation root field has a method on *Client, generated
// from the server's schema (schema.graphql in this module) with genqlient,
// so the operations are checked against the schema when the SDK is built:
//
//	c := sdk.New("http://127.0.0.1:8080", sdk.WithToken(token))
//	for acct, err := range c.Accounts(ctx, sdk.AccountsVars{}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(acct.Name)
//	}
//
// Connections have an iterator (Accounts) that fetches pages lazily and a
// page method (AccountsPage); each entity type has a typed look-up by global
// ID (AccountByID). Queries are retried on network errors, 429 and 5xx with
// backoff and jitter; mutations only when they carry an idempotency key.
// Failures are *Error values (HTTP status, GraphQL errors with their codes,
// partial data); business rule failures of a mutation are *UserErrors.
//
// See README.md in this module for a guide.
package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Khan/genqlient/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Client calls one OpsGraph server. It is safe for concurrent use.
type Client struct {
	endpoint  string
	http      *http.Client
	tokens    TokenSource
	retry     Retry
	userAgent string
	denied    func(*Error)
	cost      func(op string, c Cost)
	sleep     func(context.Context, time.Duration) error
}

// TokenSource supplies the bearer token of each request, e.g. from an
// identity provider that rotates them.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// TokenFunc adapts a function to TokenSource.
type TokenFunc func(ctx context.Context) (string, error)

// Token calls f.
func (f TokenFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

type staticToken string

func (t staticToken) Token(context.Context) (string, error) { return string(t), nil }

// Option configures a Client.
type Option func(*Client)

// WithToken sends token as the bearer token of every request.
func WithToken(token string) Option { return func(c *Client) { c.tokens = staticToken(token) } }

// WithTokenSource asks src for the bearer token of every request
// (including each retry).
func WithTokenSource(src TokenSource) Option { return func(c *Client) { c.tokens = src } }

// WithHTTPClient sends requests with hc instead of a client with a 30 s
// timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithRetry sets the retry policy (see Retry; DefaultRetry otherwise).
// Retry{MaxAttempts: 1} turns retries off.
func WithRetry(r Retry) Option { return func(c *Client) { c.retry = r.withDefaults() } }

// WithDeniedFields makes responses whose only errors are fields the viewer
// may not read (FORBIDDEN below a root field, the rest of the data present)
// succeed: those fields are nil in the result and handle receives the
// *Error naming them (log it, count it). Without it such a call returns
// the *Error with the partial result. Use it for tokens that may read only
// part of what the SDK's default operations select, e.g. an INTEGRATION
// token without pii:read.
func WithDeniedFields(handle func(*Error)) Option {
	return func(c *Client) {
		if handle == nil {
			handle = func(*Error) {}
		}
		c.denied = handle
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client of the server at endpoint: its GraphQL URL
// (http://host:8080/graphql) or its base URL (http://host:8080), to which
// /graphql is added.
func New(endpoint string, opts ...Option) *Client {
	if u, err := url.Parse(endpoint); err == nil && (u.Path == "" || u.Path == "/") {
		u.Path = "/graphql"
		endpoint = u.String()
	}
	c := &Client{
		endpoint:  endpoint,
		http:      &http.Client{Timeout: 30 * time.Second},
		retry:     DefaultRetry,
		userAgent: "opsgraph-go-sdk",
		sleep:     sleepCtx,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// request is one operation to send.
type request struct {
	op    string
	query string
	vars  any
	retry bool // safe to send again: a query, or a mutation with an idempotency key
}

// response is the GraphQL response envelope.
type response struct {
	Data       json.RawMessage `json:"data"`
	Errors     []GraphQLError  `json:"errors"`
	Extensions map[string]any  `json:"extensions"`
}

// run sends req, retrying per the policy when req.retry, and decodes the
// data into out. The error is nil, an *Error, or the context's error.
func (c *Client) run(ctx context.Context, req request, out any) error {
	body, err := json.Marshal(map[string]any{"operationName": req.op, "query": req.query, "variables": req.vars})
	if err != nil {
		return &Error{Operation: req.op, Err: fmt.Errorf("encoding variables: %w", err)}
	}
	attempts := 1
	if req.retry {
		attempts = c.retry.MaxAttempts
	}
	for attempt := 1; ; attempt++ {
		wait, err := c.send(ctx, req, body, out)
		if err == nil {
			return nil
		}
		if e, ok := err.(*Error); ok && c.denied != nil && e.onlyDeniedFields() {
			e.Attempts = attempt
			c.denied(e)
			return nil
		}
		if !wait.retryable || attempt >= attempts || ctx.Err() != nil {
			if e, ok := err.(*Error); ok {
				e.Attempts = attempt
			}
			return err
		}
		if err := c.sleep(ctx, c.retry.delay(attempt, wait.after)); err != nil {
			return &Error{Operation: req.op, Attempts: attempt, Err: err}
		}
	}
}

// verdict says whether a failed attempt may be repeated, and after how long
// the server asked for (Retry-After).
type verdict struct {
	retryable bool
	after     time.Duration
}

func (c *Client) send(ctx context.Context, req request, body []byte, out any) (verdict, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return verdict{}, &Error{Operation: req.op, Err: err}
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/graphql-response+json, application/json")
	hr.Header.Set("User-Agent", c.userAgent)
	if c.tokens != nil {
		tok, err := c.tokens.Token(ctx)
		if err != nil {
			return verdict{}, &Error{Operation: req.op, Err: fmt.Errorf("token: %w", err)}
		}
		if tok != "" {
			hr.Header.Set("Authorization", "Bearer "+tok)
		}
	}
	res, err := c.http.Do(hr)
	if err != nil {
		// The request may or may not have reached the server: only a call
		// that is safe to repeat is sent again.
		return verdict{retryable: ctx.Err() == nil}, &Error{Operation: req.op, Err: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return verdict{retryable: true}, &Error{Operation: req.op, StatusCode: res.StatusCode, Err: fmt.Errorf("reading the response: %w", err)}
	}
	v := verdict{
		retryable: res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500,
		after:     retryAfter(res.Header.Get("Retry-After")),
	}
	var env response
	if err := json.Unmarshal(raw, &env); err != nil {
		return v, &Error{Operation: req.op, StatusCode: res.StatusCode, Err: fmt.Errorf("%s: %s", res.Status, snippet(raw))}
	}
	c.observeCost(req.op, env.Extensions)
	hasData := len(env.Data) > 0 && string(env.Data) != "null"
	if hasData && out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return verdict{}, &Error{Operation: req.op, StatusCode: res.StatusCode, Errors: env.Errors, Err: fmt.Errorf("decoding data: %w", err)}
		}
	}
	if len(env.Errors) > 0 || res.StatusCode != http.StatusOK {
		e := &Error{Operation: req.op, StatusCode: res.StatusCode, Errors: env.Errors, Extensions: env.Extensions}
		if hasData {
			e.Data = env.Data
		}
		if len(env.Errors) == 0 {
			e.Err = errors.New(res.Status)
		}
		return v, e
	}
	return v, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// GraphQL returns the client as a genqlient graphql.Client, for operations
// of your own generated with genqlient against schema.graphql: queries are
// retried like the SDK's own, mutations are sent once.
func (c *Client) GraphQL() graphql.Client { return genqlientClient{c} }

type genqlientClient struct{ c *Client }

func (g genqlientClient) MakeRequest(ctx context.Context, req *graphql.Request, resp *graphql.Response) error {
	return g.c.run(ctx, request{op: req.OpName, query: req.Query, vars: req.Variables, retry: !isMutation(req.Query)}, resp.Data)
}

// isMutation reports whether the document's operation is a mutation.
func isMutation(doc string) bool {
	d, err := parser.ParseQuery(&ast.Source{Input: doc})
	return err == nil && len(d.Operations) > 0 && d.Operations[0].Operation == ast.Mutation
}

// Ptr returns a pointer to v, for the optional fields of variables and
// inputs: sdk.AccountsVars{First: sdk.Ptr(100)}.
func Ptr[T any](v T) *T { return &v }
