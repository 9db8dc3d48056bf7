package graph_test

import (
	"context"
	"sync"
	"testing"

	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/testdb"
)

const keyedAccountCreate = `mutation($name: String!, $key: String) {
  accountCreate(input: {name: $name, segment: SMB, region: NA}, idempotencyKey: $key) {
    account { id name } userErrors { field code message } } }`

type accountCreateData struct {
	AccountCreate struct {
		Account    *struct{ ID, Name string }
		UserErrors []struct {
			Field []string
			Code  string
		}
	}
}

func TestCreateWithIdempotencyKeyAppliesOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		ctx := context.Background()
		alice := srv.Token("alice@example.com", "ADMIN")
		bob := srv.Token("bob@example.com", "ADMIN")

		var first, retry accountCreateData
		srv.PostAs(alice, keyedAccountCreate, map[string]any{"name": "Acme", "key": "k-1"}).MustData(t, &first)
		srv.PostAs(alice, keyedAccountCreate, map[string]any{"name": "Acme", "key": "k-1"}).MustData(t, &retry)
		if first.AccountCreate.Account == nil || retry.AccountCreate.Account == nil || first.AccountCreate.Account.ID != retry.AccountCreate.Account.ID {
			t.Fatalf("retry returned another object: %+v vs %+v", first, retry)
		}
		if n := db.Client.Account.Query().CountX(ctx); n != 1 {
			t.Fatalf("%d accounts after a retried create", n)
		}
		if n := db.Client.AuditEvent.Query().CountX(ctx); n != 1 {
			t.Fatalf("%d audit events after a retried create, want 1", n)
		}

		// The same key with other input is refused and changes nothing.
		var reused accountCreateData
		srv.PostAs(alice, keyedAccountCreate, map[string]any{"name": "Other", "key": "k-1"}).MustData(t, &reused)
		if reused.AccountCreate.Account != nil || len(reused.AccountCreate.UserErrors) != 1 ||
			reused.AccountCreate.UserErrors[0].Code != "IDEMPOTENCY_KEY_REUSED" || reused.AccountCreate.UserErrors[0].Field[0] != "idempotencyKey" {
			t.Fatalf("reused key: %+v", reused)
		}
		// Keys are scoped to the caller.
		var other accountCreateData
		srv.PostAs(bob, keyedAccountCreate, map[string]any{"name": "Acme", "key": "k-1"}).MustData(t, &other)
		if other.AccountCreate.Account == nil || other.AccountCreate.Account.ID == first.AccountCreate.Account.ID {
			t.Fatalf("another caller's key collided: %+v", other)
		}
		// Without a key every call creates.
		srv.PostAs(alice, keyedAccountCreate, map[string]any{"name": "Acme"}).MustData(t, &other)
		srv.PostAs(alice, keyedAccountCreate, map[string]any{"name": "Acme"}).MustData(t, &other)
		if n := db.Client.Account.Query().CountX(ctx); n != 4 {
			t.Fatalf("%d accounts, want 4", n)
		}
	})
}

func TestConcurrentRetriesCreateOneObject(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		tok := srv.Token("integrator@example.com", "ADMIN")
		const n = 12
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var d accountCreateData
				res := srv.PostAs(tok, keyedAccountCreate, map[string]any{"name": "Racing Co", "key": "same-key"})
				if len(res.Errors) > 0 {
					t.Errorf("request %d: %s", i, res.Raw)
					return
				}
				res.MustData(t, &d)
				if d.AccountCreate.Account == nil {
					t.Errorf("request %d: %+v", i, d)
					return
				}
				ids[i] = d.AccountCreate.Account.ID
			}()
		}
		wg.Wait()
		for i := range ids {
			if ids[i] != ids[0] {
				t.Fatalf("concurrent retries returned different objects: %v", ids)
			}
		}
		if c := db.Client.Account.Query().CountX(context.Background()); c != 1 {
			t.Fatalf("%d accounts after %d concurrent retries, want 1", c, n)
		}
	})
}
