package store

import (
	"container/list"
	"context"
	stdsql "database/sql"
	"sync"

	entsql "entgo.io/ent/dialect/sql"
)

type preparedKey struct{}

// Prepared marks ctx so that its queries through the client's driver run as
// prepared statements on PostgreSQL: each distinct statement is parsed and
// planned once per connection (PostgreSQL then reuses its plan) instead of
// once per execution. It is for statements that are many times the same
// text with different arguments, as the compiled reads' are
// (internal/lookahead); ent's own statements are not marked. SQLite ignores
// it.
func Prepared(ctx context.Context) context.Context {
	return context.WithValue(ctx, preparedKey{}, true)
}

func isPrepared(ctx context.Context) bool {
	p, _ := ctx.Value(preparedKey{}).(bool)
	return p
}

// stmtCache holds the prepared statements of the pool, the most recently
// used max of them (database/sql prepares each on every connection that
// runs it, and closes it on all of them when it is evicted).
type stmtCache struct {
	mu  sync.Mutex
	max int
	ll  *list.List // of *cachedStmt, most recent first
	m   map[string]*list.Element
}

type cachedStmt struct {
	query string
	stmt  *stdsql.Stmt
}

func newStmtCache(max int) *stmtCache {
	return &stmtCache{max: max, ll: list.New(), m: map[string]*list.Element{}}
}

// get returns the prepared statement of query, preparing it on pool first.
func (c *stmtCache) get(ctx context.Context, pool *stdsql.DB, query string) (*stdsql.Stmt, error) {
	if s := c.lookup(query); s != nil {
		return s, nil
	}
	stmt, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[query]; ok { // prepared concurrently: keep the first
		_ = stmt.Close()
		c.ll.MoveToFront(e)
		return e.Value.(*cachedStmt).stmt, nil
	}
	c.m[query] = c.ll.PushFront(&cachedStmt{query: query, stmt: stmt})
	for c.ll.Len() > c.max {
		e := c.ll.Back()
		c.ll.Remove(e)
		old := e.Value.(*cachedStmt)
		delete(c.m, old.query)
		_ = old.stmt.Close() // rows still open on it finish first
	}
	return stmt, nil
}

func (c *stmtCache) lookup(query string) *stdsql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[query]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*cachedStmt).stmt
	}
	return nil
}

// queryPrepared runs query as a prepared statement into v (an
// *entsql.Rows), as the driver's Query would.
func (g *gate) queryPrepared(ctx context.Context, query string, args []any, v any) error {
	rows, ok := v.(*entsql.Rows)
	if !ok {
		return g.Driver.Query(ctx, query, args, v)
	}
	stmt, err := g.stmts.get(ctx, g.pool, query)
	if err != nil {
		return err
	}
	r, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	rows.ColumnScanner = r
	return nil
}
