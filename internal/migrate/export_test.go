package migrate

import (
	"context"
	"database/sql"
	"io/fs"
)

// ApplyFS is Apply over the migration directories of fsys instead of the
// embedded ones.
func ApplyFS(ctx context.Context, db *sql.DB, dia string, fsys fs.FS) error {
	return apply(ctx, db, dia, fsys, "")
}

// PendingFS is Pending over the migration directories of fsys.
func PendingFS(ctx context.Context, db *sql.DB, dia string, fsys fs.FS) ([]string, error) {
	files, err := pending(ctx, db, dia, fsys)
	if err != nil {
		return nil, err
	}
	var vs []string
	for _, f := range files {
		vs = append(vs, f.Version())
	}
	return vs, nil
}

// StatusFS is Status over the migration directories of fsys.
func StatusFS(ctx context.Context, db *sql.DB, dia string, fsys fs.FS) (*Report, error) {
	return status(ctx, db, dia, fsys)
}
