package gid

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary text to Decode and UnmarshalID: they never
// panic, and whatever they accept is the canonical ID of a row in its
// table's range, so it encodes back to the same text (padding aside) and
// no two texts name the same row. It also checks Encode→Decode for an
// arbitrary int n: an id some table owns round-trips, any other id encodes
// to a text Decode refuses.
func FuzzDecode(f *testing.F) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, t := range Tables() {
		f.Add(Encode(starts[t]+1), int64(starts[t]+1))
		f.Add(enc(t+":"+strconv.Itoa(starts[t]+rangeSize-1)), int64(starts[t]+rangeSize-1))
		f.Add(enc(t+":"+strconv.Itoa(starts[t]+rangeSize)), int64(starts[t]))
	}
	for _, s := range []string{
		"", "=", "!!!", enc("accounts"), enc("accounts:"), enc(":1"), enc("accounts:1:2"),
		enc("accounts:+1"), enc("accounts:01"), enc("accounts: 1"), enc("accounts:1 "),
		enc("accounts:-1"), enc("accounts:0"), enc("accounts:9223372036854775808"),
		enc("unknown:1"), Encode(1) + "==", Encode(1) + "=", "YWNjb3VudHM6MQ", // accounts:1
		base64.StdEncoding.EncodeToString([]byte("accounts:1")),
	} {
		f.Add(s, int64(-1))
	}
	f.Fuzz(func(t *testing.T, s string, n int64) {
		if got, err := Decode(Encode(int(n))); func() bool { _, owned := TableOf(int(n)); return owned }() {
			if err != nil || got != int(n) {
				t.Fatalf("Decode(Encode(%d)) = %d, %v", n, got, err)
			}
		} else if err == nil {
			t.Fatalf("Encode(%d) of an id no table owns decoded to %d", n, got)
		}
		id, err := Decode(s)
		uid, uerr := UnmarshalID(s)
		if (err == nil) != (uerr == nil) || uid != id {
			t.Fatalf("Decode(%q) = %d, %v but UnmarshalID = %d, %v", s, id, err, uid, uerr)
		}
		if err != nil {
			if id != 0 {
				t.Fatalf("Decode(%q) failed (%v) but returned %d", s, err, id)
			}
			return
		}
		table, ok := TableOf(id)
		if !ok || id <= 0 {
			t.Fatalf("Decode(%q) = %d, which no table owns", s, id)
		}
		if got := Encode(id); got != strings.TrimRight(s, "=") {
			t.Fatalf("Decode(%q) = %d (%s), whose ID is %q: two texts name one row", s, id, table, got)
		}
		if back, err := Decode(Encode(id)); err != nil || back != id {
			t.Fatalf("Decode(Encode(%d)) = %d, %v", id, back, err)
		}
	})
}
