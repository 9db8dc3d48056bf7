// Package migrations holds OpsGraph's versioned database migrations, embedded
// into the binary so the server can bring its database up to date at start
// (see internal/migrate.Apply).
//
// There is one directory per database: postgres/ for PostgreSQL and sqlite/
// for the embedded SQLite. Each holds Atlas-format files named
// <version>_<name>.sql, applied in version order, and an atlas.sum file
// recording their checksums; a migration whose contents do not match
// atlas.sum is refused.
//
// The files are generated, never written by hand: after changing ent/schema
// and running `go generate ./...`, run
//
//	go run ./internal/migrate/cmd/migrations-gen -name <what_changed>
//
// which diffs the directories against the ent schema and adds a new file to
// each. A statement ent cannot express (a trigger, a backfill) is appended by
// hand to the new file, and atlas.sum recomputed with migrations-gen
// -rehash. Never edit a migration that has been released; add a new one.
package migrations

import "embed"

// FS holds the migration directories postgres/ and sqlite/, each with its
// .sql files and atlas.sum.
//
//go:embed postgres sqlite
var FS embed.FS
