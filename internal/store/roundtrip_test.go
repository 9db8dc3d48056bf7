package store

import (
	"encoding/json"
	"testing"
)

func TestOneRoundTrip(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"postgres://u@h:5432/db?sslmode=disable", "postgres://u@h:5432/db?binary_parameters=yes&sslmode=disable"},
		{"postgres://u@h/db", "postgres://u@h/db?binary_parameters=yes"},
		// The operator's own choice stands.
		{"postgres://u@h/db?binary_parameters=no", "postgres://u@h/db?binary_parameters=no"},
	} {
		if got := oneRoundTrip(tt.in); got != tt.want {
			t.Errorf("oneRoundTrip(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestGateArgs(t *testing.T) {
	pg := &gate{textBytes: true}
	in := []any{1, []byte(`{"a":1}`), json.RawMessage(`[2]`), []byte(nil), "s", nil}
	got := pg.args(in)
	want := []any{1, `{"a":1}`, `[2]`, nil, "s", nil}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("arg %d = %#v, want %#v", i, got[i], want[i])
		}
	}
	if _, ok := in[1].([]byte); !ok {
		t.Error("the caller's arguments were changed")
	}
	plain := []any{1, "x"}
	if out := pg.args(plain); &out[0] != &plain[0] {
		t.Error("arguments without []byte were copied")
	}
	if out := (&gate{}).args(in); &out[0] != &in[0] {
		t.Error("SQLite's arguments were converted")
	}
}
