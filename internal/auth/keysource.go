package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"
)

const (
	// DefaultMinRefreshInterval is KeySourceOptions.MinRefreshInterval when zero.
	DefaultMinRefreshInterval = time.Minute
	// DefaultMaxKeyAge is KeySourceOptions.MaxAge when zero.
	DefaultMaxKeyAge = time.Hour
	// DefaultFetchTimeout is KeySourceOptions.FetchTimeout when zero.
	DefaultFetchTimeout = 10 * time.Second
	// maxJWKSSize bounds the JWKS document a KeySource reads.
	maxJWKSSize = 1 << 20
)

// errUnknownKey is returned by KeySource.Key when no key has the given kid.
var errUnknownKey = errors.New("auth: no JWKS key with that kid")

// KeySourceOptions configures a KeySource. Exactly one of URL and File is set.
type KeySourceOptions struct {
	// URL is an http or https URL serving the JWK Set.
	URL string
	// File is the path of a file holding the JWK Set. It is re-read on every
	// refresh, so keys can be rotated by replacing it.
	File string
	// HTTPClient fetches URL; when nil, a client with FetchTimeout is used.
	HTTPClient *http.Client
	// FetchTimeout bounds one fetch of URL; DefaultFetchTimeout when zero.
	FetchTimeout time.Duration
	// MinRefreshInterval is the least time between the end of one load and
	// the start of the next, however many tokens with unknown kids arrive;
	// DefaultMinRefreshInterval when zero.
	MinRefreshInterval time.Duration
	// MaxAge is how long a loaded set is used before the next lookup reloads
	// it (so a key removed from the set stops being accepted even when no
	// token with an unknown kid triggers a refresh); DefaultMaxKeyAge when
	// zero, never when negative. When a reload fails the old set stays.
	MaxAge time.Duration
	// Logger receives refresh failures and key changes; none when nil.
	Logger *slog.Logger

	now func() time.Time // tests
}

// KeySource holds the verification keys of a JWK Set loaded from a file or
// URL. It loads the set when created and reloads it when asked for a kid it
// does not know (at most once per MinRefreshInterval) or when the set is
// older than MaxAge. It is safe for concurrent use.
type KeySource struct {
	url, file   string
	client      *http.Client
	timeout     time.Duration
	minInterval time.Duration
	maxAge      time.Duration
	log         *slog.Logger
	now         func() time.Time

	refreshMu sync.Mutex // held while loading; serializes loads

	mu       sync.RWMutex // guards the fields below
	set      *KeySet
	loadedAt time.Time // end of the last successful load
	tried    time.Time // end of the last load, successful or not
}

// NewKeySource validates opts and loads the key set, failing when it cannot
// be loaded or holds no usable signing key.
func NewKeySource(ctx context.Context, opts KeySourceOptions) (*KeySource, error) {
	switch {
	case opts.URL == "" && opts.File == "":
		return nil, errors.New("auth: JWKS: a URL or a file is required")
	case opts.URL != "" && opts.File != "":
		return nil, errors.New("auth: JWKS: set a URL or a file, not both")
	case opts.FetchTimeout < 0 || opts.MinRefreshInterval < 0:
		return nil, errors.New("auth: JWKS: negative timeout or refresh interval")
	}
	if opts.URL != "" {
		u, err := url.Parse(opts.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("auth: JWKS URL %q: want an http:// or https:// URL", opts.URL)
		}
	}
	s := &KeySource{
		url:         opts.URL,
		file:        opts.File,
		client:      opts.HTTPClient,
		timeout:     opts.FetchTimeout,
		minInterval: opts.MinRefreshInterval,
		maxAge:      opts.MaxAge,
		log:         opts.Logger,
		now:         opts.now,
	}
	if s.timeout == 0 {
		s.timeout = DefaultFetchTimeout
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: s.timeout}
	}
	if s.minInterval == 0 {
		s.minInterval = DefaultMinRefreshInterval
	}
	if s.maxAge == 0 {
		s.maxAge = DefaultMaxKeyAge
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	set, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	s.set, s.loadedAt, s.tried = set, now, now
	return s, nil
}

// Location returns the URL or file the keys come from.
func (s *KeySource) Location() string {
	if s.url != "" {
		return s.url
	}
	return s.file
}

// Keys returns the current key set.
func (s *KeySource) Keys() *KeySet {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.set
}

// Key returns the key whose ID is kid. When there is none it reloads the set
// (unless the last load ended less than MinRefreshInterval ago) and looks
// again; when the set is older than MaxAge it reloads it first.
func (s *KeySource) Key(kid string) (Key, error) {
	s.mu.RLock()
	set, loadedAt, tried := s.set, s.loadedAt, s.tried
	s.mu.RUnlock()

	if k, ok := set.Lookup(kid); ok {
		if s.maxAge < 0 || s.now().Sub(loadedAt) < s.maxAge || !s.refreshMu.TryLock() {
			// Fresh, or another caller is reloading it: use the current key.
			return k, nil
		}
		s.refreshLocked()
		s.refreshMu.Unlock()
		if k, ok := s.Keys().Lookup(kid); ok {
			return k, nil
		}
		return Key{}, errUnknownKey
	}
	if s.now().Sub(tried) < s.minInterval {
		return Key{}, errUnknownKey
	}
	// Wait for a load in progress (it may bring the key) or do one.
	s.refreshMu.Lock()
	s.refreshLocked()
	s.refreshMu.Unlock()
	if k, ok := s.Keys().Lookup(kid); ok {
		return k, nil
	}
	return Key{}, errUnknownKey
}

// refreshLocked reloads the set unless the last load ended less than
// minInterval ago. The caller holds refreshMu. A failed load keeps the old
// set.
func (s *KeySource) refreshLocked() {
	s.mu.RLock()
	tried, old := s.tried, s.set
	s.mu.RUnlock()
	if s.now().Sub(tried) < s.minInterval {
		return
	}
	set, err := s.load(context.Background())
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tried = now
	if err != nil {
		s.log.Warn("JWKS refresh failed; keeping the current keys", "source", s.Location(), "err", err)
		return
	}
	s.set, s.loadedAt = set, now
	if ids, oldIDs := set.IDs(), old.IDs(); !slices.Equal(ids, oldIDs) {
		s.log.Info("JWKS keys changed", "source", s.Location(), "kids", ids, "previous", oldIDs)
	}
}

// load reads and parses the set.
func (s *KeySource) load(ctx context.Context) (*KeySet, error) {
	var (
		data []byte
		err  error
	)
	if s.file != "" {
		data, err = readLimited(s.file)
	} else {
		data, err = s.fetch(ctx)
	}
	if err != nil {
		return nil, err
	}
	set, err := ParseJWKS(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Location(), err)
	}
	if set.Len() == 0 {
		return nil, fmt.Errorf("auth: %s: JWKS holds no usable signing key", s.Location())
	}
	return set, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("auth: read JWKS file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxJWKSSize+1))
	if err != nil {
		return nil, fmt.Errorf("auth: read JWKS file: %w", err)
	}
	if len(data) > maxJWKSSize {
		return nil, fmt.Errorf("auth: JWKS file %s is larger than %d bytes", path, maxJWKSSize)
	}
	return data, nil
}

func (s *KeySource) fetch(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("auth: JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	res, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("auth: fetch JWKS: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(res.Body, maxJWKSSize))
		return nil, fmt.Errorf("auth: fetch JWKS %s: HTTP status %s", s.url, res.Status)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, maxJWKSSize+1))
	if err != nil {
		return nil, fmt.Errorf("auth: fetch JWKS %s: %w", s.url, err)
	}
	if len(data) > maxJWKSSize {
		return nil, fmt.Errorf("auth: JWKS at %s is larger than %d bytes", s.url, maxJWKSSize)
	}
	return data, nil
}
