package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// secretFileLen is the number of random bytes LoadOrCreateSecret generates.
const secretFileLen = 32

// ParseSecret returns the secret given in configuration, such as the
// OPSGRAPH_JWT_SECRET environment variable. The string is used verbatim as
// the HS256 key: it is not trimmed nor hex- or base64-decoded, so it must
// itself be at least MinSecretLen bytes long.
func ParseSecret(s string) []byte { return []byte(s) }

// LoadOrCreateSecret returns the signing secret stored at path, creating it
// when it does not exist. The file holds 32 random bytes, hex encoded; it is
// created with mode 0600 (its directory with 0700 when missing). Creation uses
// O_EXCL, so when several processes race exactly one writes the file and the
// others read what it wrote.
func LoadOrCreateSecret(path string) ([]byte, error) {
	secret, err := readSecretWait(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return secret, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("auth: create secret directory: %w", err)
	}
	secret, err = createSecret(path)
	if errors.Is(err, fs.ErrExist) {
		return readSecretWait(path)
	}
	return secret, err
}

// createSecret writes a new secret to path, failing with fs.ErrExist when
// the file is already there.
func createSecret(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("auth: create secret file: %w", err)
	}
	secret := make([]byte, secretFileLen)
	if _, err := rand.Read(secret); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("auth: generate secret: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(secret) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // don't leave a half-written secret behind
		return nil, fmt.Errorf("auth: write secret file: %w", err)
	}
	return secret, nil
}

// errSecretEmpty marks a secret file that exists but has no content yet.
var errSecretEmpty = errors.New("secret file is empty")

// readSecret reads and decodes the secret file at path.
func readSecret(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: read secret file: %w", err)
	}
	text := strings.TrimSpace(string(data))
	if text == "" {
		return nil, fmt.Errorf("auth: %s: %w", path, errSecretEmpty)
	}
	secret, err := hex.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("auth: %s: secret is not hex encoded: %w", path, err)
	}
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("auth: %s: secret is %d bytes, need at least %d", path, len(secret), MinSecretLen)
	}
	return secret, nil
}

// readSecretWait reads the secret file at path; when it is empty because
// another process has just created it, it gives that process a moment to
// finish writing.
func readSecretWait(path string) ([]byte, error) {
	const attempts, pause = 50, 20 * time.Millisecond
	for i := 1; ; i++ {
		secret, err := readSecret(path)
		if !errors.Is(err, errSecretEmpty) || i == attempts {
			return secret, err
		}
		time.Sleep(pause)
	}
}
