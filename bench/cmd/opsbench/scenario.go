package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opsgraph/opsgraph/ent/schema/gid"
)

// Scenario is one load scenario, read from a JSON file under
// bench/scenarios. A file holds one scenario object or an array of them.
type Scenario struct {
	// Name identifies the scenario in the report (Q1, Q2, Q3-healthOverview…).
	Name string `json:"name"`
	// Description says in a sentence what the scenario reads or writes.
	Description string `json:"description"`
	// Viewer is whom the requests are sent as (a token is minted for it).
	Viewer Viewer `json:"viewer"`
	// Operations are the GraphQL operations sent; each request picks one
	// at random by weight. Query and Variables are a shorthand for one.
	Operations []Operation      `json:"operations"`
	Query      string           `json:"query"`
	Variables  map[string]Value `json:"variables"`
	// Concurrency lists the closed-loop client counts to run at.
	Concurrency []int `json:"concurrency"`
	// Duration and Warmup are Go durations ("20s"); Warmup requests are
	// sent but not counted.
	Duration Duration `json:"duration"`
	Warmup   Duration `json:"warmup"`
	// SQL is the hand-written equivalent for pgbench, relative to the
	// scenario file; empty: no raw-SQL limit for this scenario.
	SQL string `json:"sql"`
	// Target is the least OpsGraph/raw-SQL requests/s ratio the scenario
	// should reach (0: no target).
	Target float64 `json:"target"`
	// Pools are named samples of row ids (each a SQL query returning one
	// integer column) the variable generators draw from.
	Pools map[string]string `json:"pools"`
	// PostGraphile is the same read as a request to PostGraphile v4 over
	// the same database (its own names: allAccounts, nodeId…), for the
	// optional side-by-side comparison (-postgraphile); nil: none.
	PostGraphile *PostGraphileOp `json:"postgraphile"`

	file string // the file it came from
}

// PostGraphileOp is a scenario's equivalent PostGraphile v4 request.
type PostGraphileOp struct {
	Query     string           `json:"query"`
	Variables map[string]Value `json:"variables"`
	// Target is the least OpsGraph/PostGraphile requests/s ratio the
	// scenario should reach (0: no target).
	Target float64 `json:"target"`
}

// Viewer is the subject, roles and scopes of the scenario's token.
type Viewer struct {
	Subject string   `json:"subject"`
	Roles   []string `json:"roles"`
	Scopes  []string `json:"scopes"`
}

// Operation is one GraphQL document with a variables template.
type Operation struct {
	Name      string           `json:"name"`
	Weight    int              `json:"weight"`
	Query     string           `json:"query"`
	Variables map[string]Value `json:"variables"`
}

// Duration is a time.Duration written as a Go duration string in JSON.
type Duration time.Duration

// UnmarshalJSON reads "20s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"20s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Value is a variables template: any JSON value, where an object with a
// "gen" key is a generator evaluated for every request:
//
//	{"gen": "gid", "pool": "accounts"}   global ID of a random id of a pool
//	{"gen": "id", "pool": "accounts"}    the raw integer id
//	{"gen": "int", "min": 1, "max": 9}   uniform integer, inclusive
//	{"gen": "float", "min": 0, "max": 1} uniform float
//	{"gen": "choice", "values": [...]}   one of the values
//	{"gen": "now"}                       the current time, RFC 3339 with ns
//	{"gen": "worker"}                    "w<n>", the load worker's number
//	{"gen": "seq"}                       "<worker>-<n>", unique per request
//	{"gen": "list", "n": 10, "item": T}  n evaluations of the template T
type Value struct {
	lit  any // a literal (after recursing into objects and arrays: see kids)
	gen  *generator
	obj  map[string]Value
	arr  []Value
	kind int
}

const (
	valLiteral = iota
	valGen
	valObject
	valArray
)

type generator struct {
	Gen    string  `json:"gen"`
	Pool   string  `json:"pool"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Values []any   `json:"values"`
	N      int     `json:"n"`
	Item   *Value  `json:"item"`
}

var generators = map[string]bool{"gid": true, "id": true, "int": true, "float": true, "choice": true,
	"now": true, "worker": true, "seq": true, "list": true}

// UnmarshalJSON reads a template.
func (v *Value) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '{':
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(b, &probe); err != nil {
			return err
		}
		if _, ok := probe["gen"]; ok {
			var g generator
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&g); err != nil {
				return fmt.Errorf("generator %s: %w", b, err)
			}
			if err := g.check(); err != nil {
				return err
			}
			*v = Value{kind: valGen, gen: &g}
			return nil
		}
		obj := make(map[string]Value, len(probe))
		for k, raw := range probe {
			var kid Value
			if err := kid.UnmarshalJSON(raw); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			obj[k] = kid
		}
		*v = Value{kind: valObject, obj: obj}
	case len(b) > 0 && b[0] == '[':
		var raws []json.RawMessage
		if err := json.Unmarshal(b, &raws); err != nil {
			return err
		}
		arr := make([]Value, len(raws))
		for i, raw := range raws {
			if err := arr[i].UnmarshalJSON(raw); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		*v = Value{kind: valArray, arr: arr}
	default:
		var lit any
		if err := json.Unmarshal(b, &lit); err != nil {
			return err
		}
		*v = Value{kind: valLiteral, lit: lit}
	}
	return nil
}

func (g *generator) check() error {
	if !generators[g.Gen] {
		return fmt.Errorf("unknown generator %q", g.Gen)
	}
	switch g.Gen {
	case "gid", "id":
		if g.Pool == "" {
			return fmt.Errorf("generator %q needs a pool", g.Gen)
		}
	case "int", "float":
		if g.Max < g.Min {
			return fmt.Errorf("generator %q: max %v < min %v", g.Gen, g.Max, g.Min)
		}
	case "choice":
		if len(g.Values) == 0 {
			return errors.New(`generator "choice" needs values`)
		}
	case "list":
		if g.N <= 0 || g.Item == nil {
			return errors.New(`generator "list" needs n > 0 and an item`)
		}
	}
	return nil
}

// pools walks the template and returns the pools it draws from.
func (v Value) pools(into map[string]bool) {
	switch v.kind {
	case valGen:
		if v.gen.Pool != "" {
			into[v.gen.Pool] = true
		}
		if v.gen.Item != nil {
			v.gen.Item.pools(into)
		}
	case valObject:
		for _, k := range v.obj {
			k.pools(into)
		}
	case valArray:
		for _, k := range v.arr {
			k.pools(into)
		}
	}
}

// GenContext is what generators draw from: the worker's random source,
// its number and request counter, and the id pools.
type GenContext struct {
	Rand   *rand.Rand
	Worker int
	Seq    *int
	Pools  map[string][]int
	Now    func() time.Time
}

// Eval produces one JSON-ready value of the template.
func (v Value) Eval(c *GenContext) (any, error) {
	switch v.kind {
	case valLiteral:
		return v.lit, nil
	case valObject:
		out := make(map[string]any, len(v.obj))
		for k, kid := range v.obj {
			x, err := kid.Eval(c)
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	case valArray:
		out := make([]any, len(v.arr))
		for i, kid := range v.arr {
			x, err := kid.Eval(c)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	g := v.gen
	switch g.Gen {
	case "gid", "id":
		ids := c.Pools[g.Pool]
		if len(ids) == 0 {
			return nil, fmt.Errorf("pool %q is empty", g.Pool)
		}
		id := ids[c.Rand.IntN(len(ids))]
		if g.Gen == "id" {
			return id, nil
		}
		return gid.Encode(id), nil
	case "int":
		lo, hi := int64(g.Min), int64(g.Max)
		return lo + c.Rand.Int64N(hi-lo+1), nil
	case "float":
		return g.Min + c.Rand.Float64()*(g.Max-g.Min), nil
	case "choice":
		return g.Values[c.Rand.IntN(len(g.Values))], nil
	case "now":
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		return now().UTC().Format(time.RFC3339Nano), nil
	case "worker":
		return "w" + strconv.Itoa(c.Worker), nil
	case "seq":
		*c.Seq++
		return fmt.Sprintf("w%d-%d", c.Worker, *c.Seq), nil
	case "list":
		out := make([]any, g.N)
		for i := range out {
			x, err := g.Item.Eval(c)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown generator %q", g.Gen)
}

// ParseScenarios reads the scenarios of one file's contents.
func ParseScenarios(file string, data []byte) ([]*Scenario, error) {
	data = bytes.TrimSpace(data)
	var list []*Scenario
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var err error
	if len(data) > 0 && data[0] == '[' {
		err = dec.Decode(&list)
	} else {
		var s Scenario
		err = dec.Decode(&s)
		list = []*Scenario{&s}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, s := range list {
		s.file = file
		if err := s.normalise(); err != nil {
			return nil, fmt.Errorf("%s: scenario %q: %w", file, s.Name, err)
		}
	}
	return list, nil
}

// normalise applies the shorthand and defaults and checks the scenario.
func (s *Scenario) normalise() error {
	if s.Name == "" {
		return errors.New("name is required")
	}
	if s.Query != "" {
		if len(s.Operations) > 0 {
			return errors.New("give either query or operations, not both")
		}
		s.Operations = []Operation{{Name: s.Name, Weight: 1, Query: s.Query, Variables: s.Variables}}
		s.Query, s.Variables = "", nil
	}
	if len(s.Operations) == 0 {
		return errors.New("no query")
	}
	used := map[string]bool{}
	for i := range s.Operations {
		op := &s.Operations[i]
		if strings.TrimSpace(op.Query) == "" {
			return fmt.Errorf("operation %d has no query", i)
		}
		if op.Weight == 0 {
			op.Weight = 1
		}
		if op.Weight < 0 {
			return fmt.Errorf("operation %d: negative weight", i)
		}
		if op.Name == "" {
			op.Name = fmt.Sprintf("%s#%d", s.Name, i+1)
		}
		for _, v := range op.Variables {
			v.pools(used)
		}
	}
	if p := s.PostGraphile; p != nil {
		if strings.TrimSpace(p.Query) == "" {
			return errors.New("postgraphile has no query")
		}
		if p.Target < 0 {
			return errors.New("postgraphile: negative target")
		}
		for _, v := range p.Variables {
			v.pools(used)
		}
	}
	for p := range used {
		if _, ok := s.Pools[p]; !ok {
			return fmt.Errorf("pool %q is used but not defined", p)
		}
	}
	if len(s.Concurrency) == 0 {
		s.Concurrency = []int{8, 32}
	}
	for _, c := range s.Concurrency {
		if c <= 0 {
			return fmt.Errorf("concurrency %d must be positive", c)
		}
	}
	if s.Duration == 0 {
		s.Duration = Duration(20 * time.Second)
	}
	if s.Warmup == 0 {
		s.Warmup = Duration(5 * time.Second)
	}
	if len(s.Viewer.Roles) == 0 {
		s.Viewer.Roles = []string{"ADMIN"}
	}
	if s.Viewer.Subject == "" {
		s.Viewer.Subject = "opsbench"
	}
	return nil
}

// SQLPath is the pgbench script's path, or "" when there is none.
func (s *Scenario) SQLPath() string {
	if s.SQL == "" {
		return ""
	}
	if filepath.IsAbs(s.SQL) {
		return s.SQL
	}
	return filepath.Join(filepath.Dir(s.file), s.SQL)
}

// PostGraphileScenario is s with its PostGraphile request as the only
// operation, so the sample and the closed loop run it unchanged; nil when
// s has none.
func (s *Scenario) PostGraphileScenario() *Scenario {
	if s.PostGraphile == nil {
		return nil
	}
	p := *s
	p.Operations = []Operation{{Name: s.Name + " (PostGraphile)", Weight: 1, Query: s.PostGraphile.Query, Variables: s.PostGraphile.Variables}}
	return &p
}

// pick chooses an operation by weight.
func (s *Scenario) pick(r *rand.Rand) *Operation {
	if len(s.Operations) == 1 {
		return &s.Operations[0]
	}
	total := 0
	for _, op := range s.Operations {
		total += op.Weight
	}
	n := r.IntN(total)
	for i := range s.Operations {
		n -= s.Operations[i].Weight
		if n < 0 {
			return &s.Operations[i]
		}
	}
	return &s.Operations[len(s.Operations)-1]
}

// LoadScenarios reads every *.json file of dir, sorted by file name; only
// names in keep (when not empty) are returned.
func LoadScenarios(dir string, keep []string) ([]*Scenario, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []*Scenario
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		list, err := ParseScenarios(f, data)
		if err != nil {
			return nil, err
		}
		for _, s := range list {
			if selected(s.Name, keep) {
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no scenarios in %s matched", dir)
	}
	return out, nil
}

// selected reports whether name is kept: an empty list keeps all; an entry
// matches the name or its prefix before "-" (Q3 keeps Q3-healthOverview).
func selected(name string, keep []string) bool {
	if len(keep) == 0 {
		return true
	}
	for _, k := range keep {
		if k == name || strings.HasPrefix(name, k+"-") {
			return true
		}
	}
	return false
}
