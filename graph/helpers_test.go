package graph_test

import (
	"testing"

	"github.com/opsgraph/opsgraph/ent/schema/gid"
)

func encodeID(id int) string { return gid.Encode(id) }

func decodeID(t testing.TB, s string) int {
	t.Helper()
	id, err := gid.Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
