package graph_test

import "github.com/opsgraph/opsgraph/ent/schema/gid"

func encodeID(id int) string { return gid.Encode(id) }
