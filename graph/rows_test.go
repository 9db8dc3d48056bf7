package graph_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/schema/gid"
	"github.com/opsgraph/opsgraph/ent/user"
	"github.com/opsgraph/opsgraph/internal/apitest"
	"github.com/opsgraph/opsgraph/internal/seedtest"
	"github.com/opsgraph/opsgraph/internal/store"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// expectedBook computes a CSM's book independently of the row rules: the
// accounts they own and all their descendants.
func expectedBook(t *testing.T, c *ent.Client, email string) (uid int, ids []int) {
	t.Helper()
	ctx := context.Background()
	uid = c.User.Query().Where(user.Email(email)).OnlyIDX(ctx)
	all := c.Account.Query().Select(account.FieldID, account.FieldOwnerID, account.FieldParentID).AllX(ctx)
	in := map[int]bool{}
	for changed := true; changed; {
		changed = false
		for _, a := range all {
			if !in[a.ID] && (a.OwnerID == uid || in[a.ParentID]) {
				in[a.ID] = true
				changed = true
			}
		}
	}
	for id := range in {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return uid, ids
}

// allIDs pages through a root connection and returns every id.
func allIDs(t *testing.T, srv *apitest.Server, token, field string) (ids []int, total int) {
	t.Helper()
	after := any(nil)
	for {
		var data map[string]struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   string
			}
			Edges []struct{ Node struct{ ID string } }
		}
		srv.PostAs(token, fmt.Sprintf(`query($after: Cursor) { %s(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`, field),
			map[string]any{"after": after}).MustData(t, &data)
		c := data[field]
		total = c.TotalCount
		for _, e := range c.Edges {
			id, err := gid.Decode(e.Node.ID)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if !c.PageInfo.HasNextPage {
			break
		}
		after = c.PageInfo.EndCursor
	}
	slices.Sort(ids)
	return ids, total
}

func TestCSMSeesExactlyTheirBook(t *testing.T) {
	seedtest.EachDemo(t, demoNow, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		ctx := context.Background()
		const me = "csm1@opsgraph.example"
		uid, book := expectedBook(t, db.Client, me)
		if len(book) == 0 {
			t.Fatal("the demo data gives csm1 no accounts")
		}
		tok := tokenFor(t, srv, &viewer.Viewer{Subject: me, Roles: []string{viewer.RoleCSM}})

		// Root connection, totals and paging.
		got, total := allIDs(t, srv, tok, "accounts")
		if !slices.Equal(got, book) || total != len(book) {
			t.Fatalf("accounts: got %d (total %d), want %d", len(got), total, len(book))
		}
		// Everything hanging off the book, through root connections.
		inBook := func(id int) bool { _, ok := slices.BinarySearch(book, id); return ok }
		contracts, _ := allIDs(t, srv, tok, "contracts")
		for _, id := range contracts {
			if !inBook(db.Client.Contract.GetX(ctx, id).AccountID) {
				t.Fatalf("contract %d is outside the book", id)
			}
		}
		wantContracts := 0
		for _, c := range db.Client.Contract.Query().AllX(ctx) {
			if inBook(c.AccountID) {
				wantContracts++
			}
		}
		if len(contracts) != wantContracts {
			t.Errorf("contracts: %d, want %d", len(contracts), wantContracts)
		}
		entitlements, _ := allIDs(t, srv, tok, "entitlements")
		for _, id := range entitlements {
			if !inBook(db.Client.Entitlement.GetX(ctx, id).AccountID) {
				t.Fatalf("entitlement %d is outside the book", id)
			}
		}
		lines, _ := allIDs(t, srv, tok, "orderLines")
		for _, id := range lines {
			if !inBook(db.Client.OrderLine.GetX(ctx, id).QueryOrder().OnlyX(ctx).AccountID) {
				t.Fatalf("order line %d is outside the book", id)
			}
		}
		requests, _ := allIDs(t, srv, tok, "requests")
		for _, id := range requests {
			r := db.Client.Request.GetX(ctx, id)
			mine := (r.AccountID != nil && inBook(*r.AccountID)) || r.RequesterID == uid || (r.AssigneeID != nil && *r.AssigneeID == uid)
			if !mine {
				t.Fatalf("request %d is neither about the book nor raised by or assigned to the CSM", id)
			}
		}
		if audit, _ := allIDs(t, srv, tok, "auditEvents"); len(audit) != 0 {
			t.Errorf("a CSM sees %d audit events", len(audit))
		}

		// node/nodes on another CSM's account look like a missing row.
		other := db.Client.Account.Query().Where(account.IDNotIn(book...)).FirstIDX(ctx)
		res := srv.PostAs(tok, `query($id: ID!) { node(id: $id) { id } nodes(ids: [$id]) { id } }`, map[string]any{"id": gid.Encode(other)})
		if len(res.Errors) > 0 || string(res.Data) != `{"node":null,"nodes":[null]}` {
			t.Errorf("another CSM's account: %s", res.Raw)
		}
		// Nested edges are filtered too: other CSMs own nothing the CSM can see.
		var users struct {
			Users struct {
				Edges []struct {
					Node struct {
						Email         *string
						OwnedAccounts struct{ TotalCount int }
					}
				}
			}
		}
		srv.PostAs(tok, `{ users(first: 100) { edges { node { email ownedAccounts { totalCount } } } } }`, nil).MustData(t, &users)
		for _, u := range users.Users.Edges {
			owned := u.Node.OwnedAccounts.TotalCount
			if u.Node.Email != nil && *u.Node.Email == me {
				continue
			}
			// A colleague's accounts are visible only where they sit in my book.
			if owned > 0 {
				n := db.Client.Account.Query().Where(account.HasOwnerWith(user.Email(*u.Node.Email)), account.IDIn(book...)).CountX(ctx)
				if owned != n {
					t.Errorf("%s: %d owned accounts visible, %d of them in the book", *u.Node.Email, owned, n)
				}
			}
		}
		// Another role sees every row.
		lead := tokenFor(t, srv, &viewer.Viewer{Subject: "lead@opsgraph.example", Roles: []string{viewer.RoleOpsManager}})
		if _, total := allIDs(t, srv, lead, "accounts"); total != db.Client.Account.Query().CountX(ctx) {
			t.Errorf("OPS_MANAGER sees %d accounts", total)
		}
	})
}
