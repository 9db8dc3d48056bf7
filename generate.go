// Package opsgraph is the root of the OpsGraph module. It holds nothing but
// the code generation chain, run with `go generate ./...`:
//
//  1. ent/entc.go: ent + entgql write ent/ and schema/ent.graphql;
//  2. gqlgen writes graph/generated (execution) and graph/model;
//  3. internal/policy/cmd/authzdoc writes docs/authorization.md.
package opsgraph

//go:generate go run -mod=mod ./ent/entc.go
//go:generate go tool gqlgen generate --config gqlgen.yml
//go:generate go run ./internal/policy/cmd/authzdoc docs/authorization.md
