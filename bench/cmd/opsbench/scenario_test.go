package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/ent/schema/gid"
)

func TestParseScenarioShorthandAndDefaults(t *testing.T) {
	list, err := ParseScenarios("bench/scenarios/x.json", []byte(`{
		"name": "Q2",
		"query": "query($id: ID!) { node(id: $id) { id } }",
		"variables": {"id": {"gen": "gid", "pool": "accounts"}},
		"pools": {"accounts": "SELECT id FROM accounts"},
		"sql": "../sql/q2.sql",
		"target": 0.35
	}`))
	if err != nil {
		t.Fatal(err)
	}
	s := list[0]
	if len(s.Operations) != 1 || s.Operations[0].Weight != 1 || s.Operations[0].Name != "Q2" {
		t.Fatalf("operations %+v", s.Operations)
	}
	if got := s.Concurrency; len(got) != 2 || got[0] != 8 || got[1] != 32 {
		t.Errorf("default concurrency %v", got)
	}
	if time.Duration(s.Duration) != 20*time.Second || time.Duration(s.Warmup) != 5*time.Second {
		t.Errorf("defaults %v %v", s.Duration, s.Warmup)
	}
	if s.Viewer.Roles[0] != "ADMIN" {
		t.Errorf("default viewer %+v", s.Viewer)
	}
	if got := s.SQLPath(); got != filepath.Join("bench", "sql", "q2.sql") {
		t.Errorf("SQLPath %q", got)
	}
	c := &GenContext{Rand: rand.New(rand.NewPCG(1, 1)), Seq: new(int), Pools: map[string][]int{"accounts": {7}}}
	body, err := requestBody(&s.Operations[0], c)
	if err != nil {
		t.Fatal(err)
	}
	var req struct {
		Variables map[string]string `json:"variables"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	if id, err := gid.Decode(req.Variables["id"]); err != nil || id != 7 {
		t.Errorf("id variable %q decodes to %d, %v", req.Variables["id"], id, err)
	}
}

func TestGenerators(t *testing.T) {
	var v Value
	if err := json.Unmarshal([]byte(`{"signals": {"gen": "list", "n": 3, "item": {
		"n": {"gen": "int", "min": 5, "max": 6}, "f": {"gen": "float", "min": 1, "max": 2},
		"k": {"gen": "choice", "values": ["A", "B"]}, "at": {"gen": "now"}, "src": {"gen": "worker"},
		"seq": {"gen": "seq"}, "raw": {"gen": "id", "pool": "p"}, "lit": [1, "x", {"y": true}]}}}`), &v); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 5, time.UTC)
	c := &GenContext{Rand: rand.New(rand.NewPCG(1, 2)), Worker: 3, Seq: new(int), Pools: map[string][]int{"p": {42}},
		Now: func() time.Time { return now }}
	out, err := v.Eval(c)
	if err != nil {
		t.Fatal(err)
	}
	items := out.(map[string]any)["signals"].([]any)
	if len(items) != 3 {
		t.Fatalf("%d items", len(items))
	}
	for i, it := range items {
		m := it.(map[string]any)
		if n := m["n"].(int64); n < 5 || n > 6 {
			t.Errorf("int %d", n)
		}
		if f := m["f"].(float64); f < 1 || f > 2 {
			t.Errorf("float %v", f)
		}
		if k := m["k"]; k != "A" && k != "B" {
			t.Errorf("choice %v", k)
		}
		if m["at"] != "2026-12-02T10:00:00.000000005Z" || m["src"] != "w3" || m["raw"] != 42 {
			t.Errorf("item %v", m)
		}
		if want := "w3-" + string(rune('1'+i)); m["seq"] != want {
			t.Errorf("seq %v, want %s", m["seq"], want)
		}
		if lit, _ := json.Marshal(m["lit"]); string(lit) != `[1,"x",{"y":true}]` {
			t.Errorf("literal %s", lit)
		}
	}
}

func TestParseScenarioErrors(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`{"query": "{ a }"}`, "name is required"},
		{`{"name": "X"}`, "no query"},
		{`{"name": "X", "query": "{ a }", "operations": [{"query": "{ b }"}]}`, "either query or operations"},
		{`{"name": "X", "query": "{ a }", "variables": {"id": {"gen": "gid", "pool": "nope"}}}`, `pool "nope" is used but not defined`},
		{`{"name": "X", "query": "{ a }", "variables": {"id": {"gen": "dice"}}}`, `unknown generator "dice"`},
		{`{"name": "X", "query": "{ a }", "variables": {"id": {"gen": "int", "min": 3, "max": 1}}}`, "max 1 < min 3"},
		{`{"name": "X", "query": "{ a }", "duration": 20}`, "duration must be a string"},
		{`{"name": "X", "query": "{ a }", "concurrency": [0]}`, "must be positive"},
		{`{"name": "X", "query": "{ a }", "colour": "red"}`, "unknown field"},
		{`{"name": "X", "query": "{ a }", "postgraphile": {"variables": {}}}`, "postgraphile has no query"},
		{`{"name": "X", "query": "{ a }", "postgraphile": {"query": "{ b }", "target": -1}}`, "negative target"},
		{`{"name": "X", "query": "{ a }", "postgraphile": {"query": "{ b }", "variables": {"id": {"gen": "id", "pool": "nope"}}}}`, `pool "nope" is used but not defined`},
		{`{"name": "X", "query": "{ a }", "postgraphile": {"query": "{ b }", "weight": 2}}`, "unknown field"},
	} {
		_, err := ParseScenarios("f.json", []byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.doc, err, c.want)
		}
	}
}

// The postgraphile object becomes the only operation of the PostGraphile
// side, its variables drawn from the scenario's pools like OpsGraph's.
func TestParsePostGraphile(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		want      bool    // a PostGraphile side exists
		target    float64 // its target
		vars      string  // its request's variables with the pool {7}
	}{
		{"none", `{"name": "Q1", "query": "{ a }"}`, false, 0, ""},
		{"no variables", `{"name": "Q1", "query": "{ a }", "postgraphile": {"query": "{ allAccounts { totalCount } }", "target": 2}}`, true, 2, `{}`},
		{"raw id", `{"name": "Q2", "query": "query($id: ID!) { node(id: $id) { id } }",
			"variables": {"id": {"gen": "gid", "pool": "accounts"}},
			"pools": {"accounts": "SELECT id FROM accounts"},
			"postgraphile": {"query": "query($id: BigInt!) { accountById(id: $id) { nodeId } }", "variables": {"id": {"gen": "id", "pool": "accounts"}}}}`,
			true, 0, `{"id":7}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			list, err := ParseScenarios("f.json", []byte(c.doc))
			if err != nil {
				t.Fatal(err)
			}
			s := list[0]
			p := s.PostGraphileScenario()
			if (p != nil) != c.want {
				t.Fatalf("PostGraphile side %v, want %v", p != nil, c.want)
			}
			if p == nil {
				return
			}
			if s.PostGraphile.Target != c.target {
				t.Errorf("target %v, want %v", s.PostGraphile.Target, c.target)
			}
			if len(p.Operations) != 1 || p.Operations[0].Query != s.PostGraphile.Query || p.Operations[0].Name != s.Name+" (PostGraphile)" {
				t.Errorf("operations %+v", p.Operations)
			}
			if len(s.Operations) != 1 || s.Operations[0].Query == s.PostGraphile.Query {
				t.Errorf("the OpsGraph side changed: %+v", s.Operations)
			}
			c0 := &GenContext{Rand: rand.New(rand.NewPCG(1, 1)), Seq: new(int), Pools: map[string][]int{"accounts": {7}}}
			body, err := requestBody(&p.Operations[0], c0)
			if err != nil {
				t.Fatal(err)
			}
			var req struct {
				Variables json.RawMessage `json:"variables"`
			}
			if err := json.Unmarshal(body, &req); err != nil {
				t.Fatal(err)
			}
			if string(req.Variables) != c.vars {
				t.Errorf("variables %s, want %s", req.Variables, c.vars)
			}
		})
	}
}

// "gid" and "id" draw the same id from a pool for the same random source,
// so OpsGraph (global IDs) and PostGraphile (raw ids) read the same rows.
func TestPoolIDGenerators(t *testing.T) {
	pool := map[string][]int{"accounts": {3, 11, 12, 40, 99}}
	for _, c := range []struct {
		doc  string
		want func(raw int) any
	}{
		{`{"gen": "id", "pool": "accounts"}`, func(raw int) any { return raw }},
		{`{"gen": "gid", "pool": "accounts"}`, func(raw int) any { return gid.Encode(raw) }},
	} {
		var v Value
		if err := json.Unmarshal([]byte(c.doc), &v); err != nil {
			t.Fatal(err)
		}
		c1 := &GenContext{Rand: rand.New(rand.NewPCG(5, 6)), Seq: new(int), Pools: pool}
		ref := rand.New(rand.NewPCG(5, 6))
		for range 20 {
			got, err := v.Eval(c1)
			if err != nil {
				t.Fatal(err)
			}
			if want := c.want(pool["accounts"][ref.IntN(5)]); got != want {
				t.Errorf("%s: %v, want %v", c.doc, got, want)
			}
		}
	}
	var v Value
	if err := json.Unmarshal([]byte(`{"gen": "id"}`), &v); err == nil || !strings.Contains(err.Error(), "needs a pool") {
		t.Errorf("id without a pool: %v", err)
	}
}

func TestWeightedPick(t *testing.T) {
	list, err := ParseScenarios("f.json", []byte(`[{"name": "M", "operations": [
		{"name": "a", "weight": 3, "query": "mutation { a }"}, {"name": "b", "query": "mutation { b }"}]}]`))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	n := map[string]int{}
	for range 4000 {
		n[list[0].pick(r).Name]++
	}
	if n["a"] < 2800 || n["a"] > 3200 {
		t.Errorf("weights 3:1 picked %v", n)
	}
}

// The committed scenario files parse, and their SQL files exist.
func TestCommittedScenarios(t *testing.T) {
	list, err := LoadScenarios("../../scenarios", nil)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, s := range list {
		names[s.Name] = true
		if p := s.SQLPath(); p != "" {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s: %v", s.Name, err)
			}
		}
	}
	for _, want := range []string{"Q1", "Q2", "M1", "Q3-healthOverview", "Q3-renewalCalendar"} {
		if !names[want] {
			t.Errorf("scenario %s missing (have %v)", want, names)
		}
	}
	for _, s := range list {
		compared := s.Name == "Q1" || s.Name == "Q2"
		if got := s.PostGraphile != nil && s.PostGraphile.Target == 2; got != compared {
			t.Errorf("%s: PostGraphile request with target 2: %v, want %v", s.Name, got, compared)
		}
	}
	if got, _ := LoadScenarios("../../scenarios", []string{"Q3"}); len(got) != 8 {
		t.Errorf("-only Q3 selects %d scenarios, want the 8 reports", len(got))
	}
}

func TestParsers(t *testing.T) {
	sum, count, err := ParseStatementMetrics("# HELP x\nopsgraph_sql_statements_per_request_bucket{le=\"1\"} 1\nopsgraph_sql_statements_per_request_sum 30\nopsgraph_sql_statements_per_request_count 10\n")
	if err != nil || sum != 30 || count != 10 {
		t.Errorf("metrics: %v %v %v", sum, count, err)
	}
	if _, _, err := ParseStatementMetrics("go_goroutines 5\n"); err == nil {
		t.Error("missing metric not reported")
	}
	cpu, err := ParseProcStat("1234 (opsgraph (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 100 0 0")
	if err != nil || cpu != 3 {
		t.Errorf("proc stat: %v %v", cpu, err)
	}
	reaped, err := ParseProcStatReaped("2222 (postgres) S 1 2222 2222 0 -1 4194560 100 0 0 0 250 50 700 125 20 0 12 0 100 0 0")
	if err != nil || reaped != 8.25 {
		t.Errorf("proc stat, reaped children: %v %v", reaped, err)
	}
	r, err := ParsePgbench("pgbench (15.20)\nnumber of transactions actually processed: 42107\nnumber of failed transactions: 0 (0.000%)\nlatency average = 0.950 ms\ninitial connection time = 35.751 ms\ntps = 2105.357961 (without initial connection time)\n")
	if err != nil || r.TPS != 2105.357961 || r.LatencyAvg != 950*time.Microsecond || r.Failed != "" || r.Txns != 42107 {
		t.Errorf("pgbench: %+v %v", r, err)
	}
	if b := rawBudget(20000, 3, time.Second, 2*time.Second); b.Postgres != 150*time.Microsecond || b.LoadGen != 50*time.Microsecond || b.Cores != 2 {
		t.Errorf("raw budget %+v", b)
	}
	args, _, err := pgbenchArgs("postgres://postgres@127.0.0.1:5432/opsgraph_bench?sslmode=disable", "q.sql", 8, 2, 20*time.Second, map[string]string{"b": "2", "a": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(args, " "); got != "-h 127.0.0.1 -p 5432 -U postgres -n -M prepared -c 8 -j 2 -T 20 -f q.sql -D a=1 -D b=2 opsgraph_bench" {
		t.Errorf("pgbench args: %s", got)
	}
}
