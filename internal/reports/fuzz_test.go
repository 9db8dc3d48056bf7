package reports_test

import (
	"bytes"
	"encoding/base64"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/opsgraph/opsgraph/internal/reports"
)

// cursorText is what MarshalGQL writes for c, without the quotes.
func cursorText(t *testing.T, c reports.Cursor) string {
	var b bytes.Buffer
	c.MarshalGQL(&b)
	s, err := strconv.Unquote(b.String())
	if err != nil {
		t.Fatalf("MarshalGQL(%+v) wrote %q, not a quoted string", c, b.String())
	}
	return s
}

// FuzzCursor decodes arbitrary text as the Relay Cursor scalar (entgql's
// Cursor[int], which the reports' connections use as reports.Cursor): it
// never panics, and a cursor it accepts re-encodes to a text that decodes
// to the same cursor and encodes to the same text again. The cursors the
// server writes round-trip exactly: an id with a string value (hygiene,
// discrepancies), with a time (renewals) or with none (connections).
func FuzzCursor(f *testing.F) {
	enc := func(v any) string {
		b, err := msgpack.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		return base64.RawStdEncoding.EncodeToString(b)
	}
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []reports.Cursor{{ID: 1}, {ID: 4294967297, Value: "MISSING_OWNER"}, {ID: 7, Value: "OVER_LIMIT/3"}, {ID: 9, Value: at}, {ID: -1, Value: 1.5}} {
		f.Add(enc(c), c.ID, "x", at.UnixNano())
	}
	for _, s := range []string{"", "=", "!!!", "gqJpZAGhdsA", enc(map[string]any{"i": "x"}), enc([]any{1, 2}), enc(map[string]any{"i": 1, "v": map[string]any{"a": []any{1}}}),
		base64.RawStdEncoding.EncodeToString([]byte{0xdd, 0xff, 0xff, 0xff, 0xff}), base64.RawStdEncoding.EncodeToString([]byte{0xdf, 0xff, 0xff, 0xff, 0xff}),
		base64.RawStdEncoding.EncodeToString([]byte{0x82, 0xa1, 'i', 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})} {
		f.Add(s, 0, "", int64(0))
	}
	f.Fuzz(func(t *testing.T, s string, id int, value string, nanos int64) {
		var c reports.Cursor
		if err := c.UnmarshalGQL(s); err == nil {
			text := cursorText(t, c)
			var back reports.Cursor
			if err := back.UnmarshalGQL(text); err != nil {
				t.Fatalf("cursor %+v decoded from %q re-encodes to %q, which does not decode: %v", c, s, text, err)
			}
			if again := cursorText(t, back); again != text {
				t.Fatalf("cursor decoded from %q: encodings %q and %q differ", s, text, again)
			}
		}
		for _, want := range []reports.Cursor{{ID: id}, {ID: id, Value: value}, {ID: id, Value: time.Unix(0, nanos).UTC()}} {
			var got reports.Cursor
			if err := got.UnmarshalGQL(cursorText(t, want)); err != nil {
				t.Fatalf("cursor %+v does not decode: %v", want, err)
			}
			if tv, ok := want.Value.(time.Time); ok {
				gv, ok := got.Value.(time.Time)
				if !ok || !gv.Equal(tv) || got.ID != want.ID {
					t.Fatalf("cursor %+v decoded as %+v", want, got)
				}
				continue
			}
			if want.Value == "" {
				want.Value = nil // the cursor's value is omitempty; the reports read "" and nil alike
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("cursor %+v decoded as %+v", want, got)
			}
		}
	})
}
