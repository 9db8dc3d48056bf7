package sdkcheck_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/viewer"
	"github.com/opsgraph/opsgraph/sdk"
)

// A fault decides, for the nth request (from 1) reaching the proxy, what
// goes wrong.
type fault int

const (
	pass         fault = iota // forwarded, response returned
	unavailable               // 503, never forwarded
	dropResponse              // forwarded (the server applies it), then the connection is cut before any response
)

// proxy sits between the SDK and the real server and injects faults.
type proxy struct {
	target string
	faults func(n int) fault
	seen   atomic.Int32
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(p.seen.Add(1))
	f := p.faults(n)
	if f == unavailable {
		http.Error(w, `{"errors":[{"message":"maintenance"}]}`, http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(r.Body)
	out, _ := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.Path, bytes.NewReader(body))
	out.Header = r.Header.Clone()
	res, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer res.Body.Close()
	respBody, _ := io.ReadAll(res.Body) // the server has finished the request
	if f == dropResponse {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return
	}
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(respBody)
}

func faulty(t *testing.T, srv *apitest.Server, faults func(n int) fault) (*sdk.Client, *proxy) {
	p := &proxy{target: srv.URL, faults: faults}
	ps := httptest.NewServer(p)
	t.Cleanup(ps.Close)
	c := sdk.New(ps.URL, sdk.WithToken(srv.Token("retry@opsgraph.example", viewer.RoleAdmin)),
		sdk.WithRetry(sdk.Retry{MaxAttempts: 4, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}))
	return c, p
}

func firstN(k int, f fault) func(int) fault {
	return func(n int) fault {
		if n <= k {
			return f
		}
		return pass
	}
}

func TestRetriesThroughFaults(t *testing.T) {
	seedtest.EachDemo(t, now, func(t *testing.T, db *store.DB) {
		srv := apitest.NewAt(t, db, func() time.Time { return now })
		ctx := context.Background()
		sysCtx := viewer.System(ctx, "test")

		t.Run("a query is retried through 503s", func(t *testing.T) {
			c, p := faulty(t, srv, firstN(2, unavailable))
			res, err := c.AccountsPage(ctx, sdk.AccountsVars{First: sdk.Ptr(2)})
			if err != nil || len(res.Accounts.Edges) != 2 {
				t.Fatalf("err %v, %+v", err, res)
			}
			if p.seen.Load() != 3 {
				t.Fatalf("proxy saw %d requests, want 3", p.seen.Load())
			}
		})

		t.Run("a query is retried after a dropped response", func(t *testing.T) {
			c, p := faulty(t, srv, firstN(1, dropResponse))
			if _, err := c.HealthModel(ctx); err != nil || p.seen.Load() != 2 {
				t.Fatalf("err %v after %d requests", err, p.seen.Load())
			}
		})

		t.Run("a mutation without idempotency key is never sent twice", func(t *testing.T) {
			for _, f := range []fault{unavailable, dropResponse} {
				c, p := faulty(t, srv, firstN(1, f))
				before, err := db.Client.Account.Query().Count(sysCtx)
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.AccountCreate(ctx, sdk.AccountCreateVars{Input: sdk.CreateAccountInput{
					Name: "Once Ltd", Segment: sdk.AccountSegmentSmb, Region: sdk.RegionEmea,
				}})
				if err == nil || p.seen.Load() != 1 {
					t.Fatalf("fault %d: err %v after %d requests, want an error after 1", f, err, p.seen.Load())
				}
				after, _ := db.Client.Account.Query().Count(sysCtx)
				// Refused at the proxy: nothing applied; dropped after the
				// server ran it: applied once, and the SDK did not repeat it.
				if want := before + map[fault]int{unavailable: 0, dropResponse: 1}[f]; after != want {
					t.Fatalf("fault %d: %d accounts after, want %d", f, after, want)
				}
			}
		})

		t.Run("orderSubmit with a key, retried after a dropped response, creates one order", func(t *testing.T) {
			c, p := faulty(t, srv, firstN(1, dropResponse))
			contracts, err := c.ContractsPage(ctx, sdk.ContractsVars{First: sdk.Ptr(1), Where: &sdk.ContractWhereInput{Status: sdk.Ptr(sdk.ContractStatusActive), EndDateGT: sdk.Ptr(now)}})
			if err != nil || len(contracts.Contracts.Edges) != 1 {
				t.Fatalf("contract: %v", err)
			}
			p.seen.Store(0)
			k := contracts.Contracts.Edges[0].Node
			if len(k.Items) == 0 {
				t.Fatal("the contract has no items")
			}
			item, err := c.ContractItemByID(ctx, k.Items[0].Id)
			if err != nil || item == nil {
				t.Fatalf("contract item: %v", err)
			}
			p.seen.Store(0)
			key := "sdk-retry-" + db.Dialect
			res, err := c.OrderSubmit(ctx, sdk.OrderSubmitVars{IdempotencyKey: &key, Input: sdk.OrderSubmitInput{Order: &sdk.OrderCreateInput{
				AccountID: k.Account.Id, ContractID: &k.Id,
				Lines: []sdk.OrderLineInput{{Action: sdk.OrderLineActionAdd, ProductID: item.Product.Id, Quantity: sdk.Ptr[int64](1)}},
			}}})
			if err != nil {
				t.Fatalf("orderSubmit: %v", err)
			}
			if p.seen.Load() != 2 {
				t.Fatalf("proxy saw %d requests, want 2 (the dropped one and the retry)", p.seen.Load())
			}
			n, err := db.Client.Order.Query().Where(order.IdempotencyKeyEQ(key)).Count(sysCtx)
			if err != nil || n != 1 {
				t.Fatalf("%d orders with the key (%v), want 1", n, err)
			}
			if res.OrderSubmit.Order == nil || res.OrderSubmit.Order.Status != sdk.OrderStatusSubmitted {
				t.Fatalf("the retry returned %+v", res.OrderSubmit.Order)
			}
		})
	})
}
