package export

import (
	"bytes"
	"encoding/csv"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzCSV formats a row of arbitrary values into cells (record, format) and
// writes header and rows as the export does (writeRecord); encoding/csv
// must read back exactly the cells written, except that a reader drops the
// carriage return of "\r\n" (documented encoding/csv behaviour, and that
// of RFC 4180 readers). A string cell is the string itself, a number cell
// parses back to the number, a list joins its elements with "; ".
func FuzzCSV(f *testing.F) {
	for _, s := range []string{"", " ", "plain", "a,b", `say "hi"`, "line\nbreak", "crlf\r\nbreak", "cr\r", "\r", "\n",
		`\.`, " leading", "trailing ", "=1+2", "+cmd", "-1", "@SUM(A1)", "\t", "\"", "\xff\xfe", "é,ü", "a\x00b"} {
		f.Add(s, "x", 1.5, true, uint8(0x3f))
		f.Add(s, s, 0.0, false, uint8(1))
	}
	f.Add("", "", math.Copysign(0, -1), false, uint8(2))
	f.Add("USD", "EUR", 1e21, true, uint8(0x20))
	f.Add("a", "b", 123456789.125, true, uint8(0x04))
	cols := []string{"s", "t", "n", "b", "l.v", "m"}
	f.Fuzz(func(t *testing.T, s, u string, n float64, b bool, mask uint8) {
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return // JSON has no such numbers
		}
		row := map[string]any{
			"s": s, "t": u, "n": n, "b": b,
			"l": []any{map[string]any{"v": s}, map[string]any{"v": n}, map[string]any{"v": nil}},
			"m": map[string]any{"currency": u, "amountMinor": n},
		}
		var use []string
		for i, c := range cols {
			if mask&(1<<i) != 0 {
				use = append(use, c)
			}
		}
		if len(use) == 0 {
			return
		}
		rec := record(row, use)
		for i, c := range use {
			var want string
			switch c {
			case "s":
				want = s
			case "t":
				want = u
			case "n":
				if got, err := strconv.ParseFloat(rec[i], 64); err != nil || got != n {
					t.Fatalf("number %v formatted %q", n, rec[i])
				}
				continue
			case "b":
				want = strconv.FormatBool(b)
			case "l.v":
				want = s + "; " + format(n) + "; "
			case "m":
				want = u + " " + format(n)
			}
			if rec[i] != want {
				t.Fatalf("column %s: cell %q, want %q", c, rec[i], want)
			}
		}
		var buf bytes.Buffer
		out := csv.NewWriter(&buf)
		writeRecord(&buf, out, use)
		writeRecord(&buf, out, rec)
		writeRecord(&buf, out, rec)
		out.Flush()
		if err := out.Error(); err != nil {
			t.Fatal(err)
		}
		got, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
		if err != nil {
			t.Fatalf("reading back %q: %v", buf.Bytes(), err)
		}
		want := make([]string, len(rec))
		for i, c := range rec {
			want[i] = strings.ReplaceAll(c, "\r\n", "\n")
		}
		if len(got) != 3 || !slices.Equal(got[0], use) || !slices.Equal(got[1], want) || !slices.Equal(got[2], want) {
			t.Fatalf("wrote %q, read back %q, want %q", buf.Bytes(), got, [][]string{use, want, want})
		}
	})
}
