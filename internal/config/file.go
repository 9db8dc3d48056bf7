package config

import (
	"fmt"
	"io"
	"os"
)

// loadFile reads the file at path with load; what names it in errors.
func loadFile[T any](path, what string, load func(io.Reader) (T, error)) (*T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	v, err := load(f)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return &v, nil
}
