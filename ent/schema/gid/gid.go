// Package gid encodes and decodes OpsGraph's global IDs.
//
// Every row has an integer primary key that is unique across the whole graph:
// ent's global-ID feature gives each table its own range of 1<<32 ids (see
// ent/internal/globalid.go). On the API an ID is opaque: the URL-safe base64
// of "<table>:<id>". Decoding checks that the id lies in its table's range,
// so an ID cannot be forged into another type by editing the text.
package gid

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opsgraph/opsgraph/ent/internal"
)

// rangeSize is the number of ids each table owns.
const rangeSize = 1 << 32

var (
	// starts maps a table to the first id of its range.
	starts map[string]int
	// tables maps the first id of a range to its table.
	tables map[int]string
)

func init() {
	if err := json.Unmarshal([]byte(internal.IncrementStarts), &starts); err != nil {
		panic(fmt.Sprintf("gid: decoding ent increment starts: %v", err))
	}
	tables = make(map[int]string, len(starts))
	for t, s := range starts {
		tables[s] = t
	}
}

// Tables lists the tables that own an id range, sorted.
func Tables() []string {
	out := make([]string, 0, len(starts))
	for t := range starts {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Start returns the first id of table's range.
func Start(table string) (int, bool) {
	s, ok := starts[table]
	return s, ok
}

// TableOf returns the table whose range holds id.
func TableOf(id int) (string, bool) {
	if id <= 0 {
		return "", false
	}
	t, ok := tables[id/rangeSize*rangeSize]
	return t, ok
}

// Is reports whether id belongs to table.
func Is(id int, table string) bool {
	t, ok := TableOf(id)
	return ok && t == table
}

// Encode returns the opaque global ID of the row id.
func Encode(id int) string {
	t, ok := TableOf(id)
	if !ok {
		t = "unknown"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(t + ":" + strconv.Itoa(id)))
}

// Decode returns the row id of an opaque global ID.
func Decode(s string) (int, error) {
	// Only the canonical encoding is accepted (padding aside), so each row
	// has exactly one ID: the decoder alone would skip \r and \n and ignore
	// nonzero trailing bits (found by FuzzDecode).
	text := strings.TrimRight(s, "=")
	raw, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil || base64.RawURLEncoding.EncodeToString(raw) != text {
		return 0, errMalformed
	}
	table, num, ok := strings.Cut(string(raw), ":")
	if !ok {
		return 0, errMalformed
	}
	id, err := strconv.Atoi(num)
	// Only the canonical decimal (no sign, no leading zero) is accepted, so
	// each row has exactly one ID (found by FuzzDecode: "accounts:+1" and
	// "accounts:01" both decoded to account 1).
	if err != nil || strconv.Itoa(id) != num || !Is(id, table) {
		return 0, errMalformed
	}
	return id, nil
}

var errMalformed = fmt.Errorf("not a valid OpsGraph ID")

// ID is the GraphQL ID scalar; gqlgen binds it to int through MarshalID and
// UnmarshalID.
type ID = int

// MarshalID writes id as its opaque global ID.
func MarshalID(id int) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(Encode(id)))
	})
}

// UnmarshalID reads an opaque global ID. A malformed ID is a BAD_USER_INPUT
// error; a well-formed ID of a row that does not exist decodes fine and is
// reported where it is used (null for node, NOT_FOUND in mutations).
func UnmarshalID(v any) (int, error) {
	s, ok := v.(string)
	if !ok {
		return 0, badInput("ID must be a string")
	}
	id, err := Decode(s)
	if err != nil {
		return 0, badInput(fmt.Sprintf("%q is not a valid OpsGraph ID", s))
	}
	return id, nil
}

func badInput(msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": "BAD_USER_INPUT"}}
}
