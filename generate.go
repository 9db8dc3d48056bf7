// Package opsgraph is the root of the OpsGraph module. It holds nothing but
// the code generation chain, run with `go generate ./...`:
//
//  1. ent/entc.go: ent + entgql write ent/ and schema/ent.graphql;
//  2. gqlgen writes graph/generated (execution) and graph/model;
//  3. internal/policy/cmd/authzdoc writes docs/authorization.md;
//  4. internal/sdkgen prints the schema into sdk/schema.graphql and writes the
//     SDK's default operations, input and enum types and genqlient.yaml;
//  5. genqlient writes the SDK's response types (sdk/genqlient_gen.go) and the
//     manifest of every operation it sends (sdk/operations.json);
//  6. internal/sdkgen writes the SDK's client methods (sdk/client_gen.go);
//  7. internal/trusted/cmd/trustedgen writes the manifest of trusted documents
//     (internal/trusted/manifest.json) from sdk/operations.json and the
//     explorer's saved operations (internal/explorer/operations).
package opsgraph

//go:generate go run -mod=mod ./ent/entc.go
//go:generate go tool gqlgen generate --config gqlgen.yml
//go:generate go run ./internal/policy/cmd/authzdoc docs/authorization.md
//go:generate go run ./internal/sdkgen/cmd/sdkgen prepare sdk
//go:generate go tool genqlient sdk/genqlient.yaml
//go:generate go run ./internal/sdkgen/cmd/sdkgen client sdk
//go:generate go run ./internal/trusted/cmd/trustedgen -sdk sdk/operations.json -out internal/trusted/manifest.json
