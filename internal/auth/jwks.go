package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
)

// MinRSAKeyBits is the smallest RSA modulus, in bits, ParseJWKS accepts.
const MinRSAKeyBits = 2048

// asymmetricAlgs lists the token algorithms a JWKS key can be pinned to.
var asymmetricAlgs = []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "EdDSA"}

// Key is a public verification key from a JWK Set.
type Key struct {
	// ID is the key's `kid`; tokens name it in their `kid` header.
	ID string
	// Algorithm is the only token `alg` this key verifies: the key's own
	// `alg` member when present, otherwise the one its type implies (RS256
	// for RSA, ES256/ES384/ES512 for P-256/P-384/P-521, EdDSA for Ed25519).
	Algorithm string
	// Public is an *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	Public crypto.PublicKey
}

// KeySet is an immutable set of verification keys indexed by key ID.
type KeySet struct {
	keys map[string]Key
}

// Lookup returns the key whose ID is kid.
func (s *KeySet) Lookup(kid string) (Key, bool) {
	if s == nil {
		return Key{}, false
	}
	k, ok := s.keys[kid]
	return k, ok
}

// Len returns the number of keys in the set.
func (s *KeySet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.keys)
}

// IDs returns the key IDs of the set, sorted.
func (s *KeySet) IDs() []string {
	if s == nil {
		return nil
	}
	ids := make([]string, 0, len(s.keys))
	for id := range s.keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// jwk holds the members of a JSON Web Key that ParseJWKS reads.
type jwk struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid"`
	Use    string   `json:"use"`
	KeyOps []string `json:"key_ops"`
	Alg    string   `json:"alg"`
	Crv    string   `json:"crv"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
}

// errSkipKey marks a JWK that is well formed but not a signature
// verification key this package supports; ParseJWKS leaves it out.
var errSkipKey = errors.New("key skipped")

// ParseJWKS parses a JWK Set (RFC 7517, with the key types of RFC 7518 and
// RFC 8037) into the signature verification keys it holds:
//
//   - kty RSA (n, e), at least MinRSAKeyBits bits: RS256, or the key's alg
//     when it is RS256, RS384 or RS512;
//   - kty EC (x, y) with crv P-256, P-384 or P-521: ES256, ES384, ES512;
//   - kty OKP (x) with crv Ed25519: EdDSA.
//
// Keys without a kid, with a use other than "sig", with key_ops lacking
// "verify", or of an unsupported type, curve or algorithm are skipped. A
// malformed or weak key of a supported type, or two keys with the same kid,
// make the whole set invalid.
func ParseJWKS(data []byte) (*KeySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("auth: JWKS is not a JSON object with a keys array: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New("auth: JWKS has no keys member")
	}
	set := &KeySet{keys: make(map[string]Key, len(doc.Keys))}
	for i, raw := range doc.Keys {
		var j jwk
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("auth: JWKS key %d: %w", i, err)
		}
		key, err := j.key()
		if errors.Is(err, errSkipKey) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("auth: JWKS key %d (kid %q): %w", i, j.Kid, err)
		}
		if _, dup := set.keys[key.ID]; dup {
			return nil, fmt.Errorf("auth: JWKS has two keys with kid %q", key.ID)
		}
		set.keys[key.ID] = key
	}
	return set, nil
}

// key converts j, or returns errSkipKey.
func (j *jwk) key() (Key, error) {
	switch {
	case j.Kid == "":
		return Key{}, errSkipKey
	case j.Use != "" && j.Use != "sig":
		return Key{}, errSkipKey
	case j.KeyOps != nil && !slices.Contains(j.KeyOps, "verify"):
		return Key{}, errSkipKey
	}
	var (
		alg string
		pub crypto.PublicKey
		err error
	)
	switch j.Kty {
	case "RSA":
		alg, pub, err = j.rsa()
	case "EC":
		alg, pub, err = j.ec()
	case "OKP":
		alg, pub, err = j.okp()
	default:
		return Key{}, errSkipKey
	}
	if err != nil {
		return Key{}, err
	}
	return Key{ID: j.Kid, Algorithm: alg, Public: pub}, nil
}

func (j *jwk) rsa() (string, crypto.PublicKey, error) {
	alg := "RS256"
	switch j.Alg {
	case "":
	case "RS256", "RS384", "RS512":
		alg = j.Alg
	default:
		return "", nil, errSkipKey
	}
	n, err := decodeMember("n", j.N)
	if err != nil {
		return "", nil, err
	}
	e, err := decodeMember("e", j.E)
	if err != nil {
		return "", nil, err
	}
	exp := new(big.Int).SetBytes(e)
	if exp.BitLen() > 31 || exp.Int64() < 3 || exp.Bit(0) == 0 {
		return "", nil, errors.New("invalid RSA exponent")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}
	if bits := pub.N.BitLen(); bits < MinRSAKeyBits {
		return "", nil, fmt.Errorf("RSA key is %d bits, need at least %d", bits, MinRSAKeyBits)
	}
	return alg, pub, nil
}

func (j *jwk) ec() (string, crypto.PublicKey, error) {
	var (
		curve elliptic.Curve
		alg   string
	)
	switch j.Crv {
	case "P-256":
		curve, alg = elliptic.P256(), "ES256"
	case "P-384":
		curve, alg = elliptic.P384(), "ES384"
	case "P-521":
		curve, alg = elliptic.P521(), "ES512"
	default:
		return "", nil, errSkipKey
	}
	if j.Alg != "" && j.Alg != alg {
		return "", nil, errSkipKey
	}
	x, err := decodeMember("x", j.X)
	if err != nil {
		return "", nil, err
	}
	y, err := decodeMember("y", j.Y)
	if err != nil {
		return "", nil, err
	}
	size := (curve.Params().BitSize + 7) / 8
	if len(x) != size || len(y) != size {
		return "", nil, fmt.Errorf("%s coordinates must be %d bytes", j.Crv, size)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
	if err != nil {
		return "", nil, fmt.Errorf("invalid %s point: %w", j.Crv, err)
	}
	return alg, pub, nil
}

func (j *jwk) okp() (string, crypto.PublicKey, error) {
	if j.Crv != "Ed25519" || (j.Alg != "" && j.Alg != "EdDSA") {
		return "", nil, errSkipKey
	}
	x, err := decodeMember("x", j.X)
	if err != nil {
		return "", nil, err
	}
	if len(x) != ed25519.PublicKeySize {
		return "", nil, fmt.Errorf("Ed25519 key must be %d bytes", ed25519.PublicKeySize)
	}
	return "EdDSA", ed25519.PublicKey(x), nil
}

// decodeMember decodes a required base64url (unpadded) JWK member.
func decodeMember(name, v string) ([]byte, error) {
	if v == "" {
		return nil, fmt.Errorf("missing %q", name)
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("%q is not base64url: %w", name, err)
	}
	return b, nil
}
