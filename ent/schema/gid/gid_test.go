package gid

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
)

func TestRoundTripEveryTable(t *testing.T) {
	for _, table := range Tables() {
		start := starts[table]
		for _, id := range []int{start + 1, start + 42, start + rangeSize - 1} {
			s := Encode(id)
			got, err := Decode(s)
			if err != nil || got != id {
				t.Errorf("%s: Decode(Encode(%d)) = %d, %v", table, id, got, err)
			}
			if !Is(id, table) {
				t.Errorf("Is(%d, %s) = false", id, table)
			}
		}
	}
}

func TestDecodeRefusesForgedAndMalformedIDs(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	users := starts["users"]
	for name, s := range map[string]string{
		"empty":              "",
		"not base64":         "!!!",
		"no separator":       enc("accounts42"),
		"not a number":       enc("accounts:x"),
		"unknown table":      enc("widgets:1"),
		"id of another type": enc("accounts:" + strconv.Itoa(users+1)),
		"negative":           enc("accounts:-1"),
		"zero":               enc("accounts:0"),
	} {
		if _, err := Decode(s); err == nil {
			t.Errorf("%s: %q decoded", name, s)
		}
	}
	if _, err := UnmarshalID(42); err == nil || !strings.Contains(err.Error(), "string") {
		t.Errorf("a number was accepted as an ID: %v", err)
	}
	if _, err := UnmarshalID("garbage"); err == nil {
		t.Error("garbage accepted")
	}
}
