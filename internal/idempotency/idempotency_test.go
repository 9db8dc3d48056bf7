package idempotency_test

import (
	"context"
	"errors"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/internal/idempotency"
	"github.com/opsgraph/opsgraph/internal/testdb"
	"github.com/opsgraph/opsgraph/internal/usererr"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// productAction creates a product with sku; every call hashes the same
// input, so different SKUs stand for the same request (two SKUs keep the
// racing transactions off each other's unique index).
func productAction(tx *ent.Client, sku string) idempotency.Action[*ent.Product] {
	return idempotency.Action[*ent.Product]{
		Name:  "productCreate",
		Input: map[string]string{"request": "same"},
		Load:  tx.Product.Get,
		ID:    func(p *ent.Product) int { return p.ID },
		Create: func(ctx context.Context) (*ent.Product, usererr.List, error) {
			p, err := tx.Product.Create().SetSku(sku).SetName(sku).SetFeatureKey(sku).SetEntitlementKind("BOOLEAN").Save(ctx)
			return p, nil, err
		},
	}
}

// Two transactions race with one key: the loser learns it lost (ErrRace)
// when recording the key, so its transaction, object included, rolls back.
// PostgreSQL only: SQLite admits one writing transaction at a time, so
// there the second simply finds the first one's key.
func TestLoserOfARaceRollsBack(t *testing.T) {
	db := testdb.Open(t, dialect.Postgres)
	ctx := viewer.System(context.Background(), "svc-test")
	key := "race-key"

	tx1, err := db.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback()
	// tx1 looks the key up and creates its object, but has not recorded
	// the key yet when tx2 runs the whole action and commits.
	a1 := productAction(tx1.Client(), "SKU-1")
	inner := a1.Create
	a1.Create = func(ctx context.Context) (*ent.Product, usererr.List, error) {
		p, errs, err := inner(ctx)
		tx2, err2 := db.Client.Tx(ctx)
		if err2 != nil {
			t.Fatal(err2)
		}
		if _, _, err := idempotency.Do(ctx, tx2.Client(), &key, productAction(tx2.Client(), "SKU-2")); err != nil {
			t.Fatalf("tx2: %v", err)
		}
		if err := tx2.Commit(); err != nil {
			t.Fatal(err)
		}
		return p, errs, err
	}
	_, _, err = idempotency.Do(ctx, tx1.Client(), &key, a1)
	if !errors.Is(err, idempotency.ErrRace) {
		t.Fatalf("tx1 got %v, want ErrRace", err)
	}
	if err := tx1.Rollback(); err != nil {
		t.Fatal(err)
	}
	// Running again finds the winner's object.
	tx3, err := db.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, errs, err := idempotency.Do(ctx, tx3.Client(), &key, productAction(tx3.Client(), "SKU-3"))
	if err != nil || !errs.Empty() || p == nil || p.Sku != "SKU-2" {
		t.Fatalf("retry: %v %v %v", p, errs, err)
	}
	if err := tx3.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := db.Client.Product.Query().CountX(ctx); n != 1 {
		t.Fatalf("%d products, want 1", n)
	}
}

func TestKeyValidation(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite)
	ctx := viewer.System(context.Background(), "svc-test")
	for _, key := range []string{" padded", string(make([]byte, idempotency.MaxKeyLen+1))} {
		_, errs, err := idempotency.Do(ctx, db.Client, &key, productAction(db.Client, "SKU-X"))
		if err != nil || !errs.Has(usererr.InvalidValue) {
			t.Errorf("key %q: %v %v", key, errs, err)
		}
	}
	if n := db.Client.Product.Query().CountX(ctx); n != 0 {
		t.Fatalf("invalid keys created %d products", n)
	}
}
