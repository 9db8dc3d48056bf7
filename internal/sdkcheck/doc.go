// Package sdkcheck holds the Go SDK's integration tests: the SDK in sdk/
// (its own module) against the real server on SQLite and PostgreSQL,
// through a fault-injecting proxy for the retry rules. It has no code of
// its own.
package sdkcheck
