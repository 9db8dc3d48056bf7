package sla_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsgraph/opsgraph/internal/sla"
)

func TestLoadPolicy(t *testing.T) {
	def := sla.DefaultPolicy().Targets
	for _, tc := range []struct {
		name    string
		json    string
		targets map[sla.Priority]sla.Targets // nil: the defaults
		cal     bool
	}{
		{"empty is the default", "", nil, false},
		{"whitespace is the default", " \n\t", nil, false},
		{"empty object is the default", "{}", nil, false},
		{"partial targets keep the other defaults", `{"targets": {"P1": {"response": "30m", "resolution": "4h"}, "P4": {"resolution": "240h"}}}`,
			map[sla.Priority]sla.Targets{
				sla.P1: {Response: 30 * time.Minute, Resolution: 4 * time.Hour},
				sla.P2: def[sla.P2], sla.P3: def[sla.P3],
				sla.P4: {Response: def[sla.P4].Response, Resolution: 240 * time.Hour},
			}, false},
		{"calendar", `{"calendar": {"timeZone": "Europe/Berlin", "weekdays": ["mon", "Tuesday", "WED", "Thu", "Fri"], "open": "09:00", "close": "17:30", "holidays": ["2026-12-25"]}}`, nil, true},
		{"calendar defaults", `{"calendar": {"open": "08:00", "close": "24:00"}}`, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := sla.LoadPolicy(strings.NewReader(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			want := tc.targets
			if want == nil {
				want = def
			}
			for _, pr := range sla.Priorities {
				if p.Targets[pr] != want[pr] {
					t.Errorf("%s: %+v, want %+v", pr, p.Targets[pr], want[pr])
				}
			}
			if (p.Calendar != nil) != tc.cal {
				t.Errorf("calendar = %v, want one: %v", p.Calendar, tc.cal)
			}
		})
	}
}

// The calendar read from a file is the one NewCalendar builds.
func TestLoadPolicyCalendar(t *testing.T) {
	p, err := sla.LoadPolicy(strings.NewReader(`{"calendar": {"timeZone": "Europe/Berlin", "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri"], "open": "09:00", "close": "17:00", "holidays": ["2026-12-25"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	if p.Calendar.Location().String() != "Europe/Berlin" {
		t.Errorf("zone %s", p.Calendar.Location())
	}
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, berlin) }
	for _, tc := range []struct {
		t    time.Time
		open bool
	}{
		{at(23, 8, 59), false}, // Wednesday before opening
		{at(23, 9, 0), true},
		{at(23, 16, 59), true},
		{at(23, 17, 0), false},
		{at(25, 10, 0), false}, // Friday, a holiday
		{at(26, 10, 0), false}, // Saturday
		{at(28, 10, 0), true},  // Monday
	} {
		if got := p.Calendar.IsOpen(tc.t); got != tc.open {
			t.Errorf("IsOpen(%s) = %v, want %v", tc.t, got, tc.open)
		}
	}
	// 8 business hours from Wednesday 16:00: 1h Wednesday, 7h Thursday
	// (Friday is the holiday).
	if got, want := p.Calendar.Add(at(23, 16, 0), 8*time.Hour), at(24, 16, 0); !got.Equal(want) {
		t.Errorf("Add = %s, want %s", got, want)
	}
}

func TestLoadPolicyErrors(t *testing.T) {
	for _, tc := range []struct{ name, json, msg string }{
		{"not JSON", `targets: P1`, "invalid"},
		{"unknown key", `{"target": {}}`, "unknown field"},
		{"unknown target key", `{"targets": {"P1": {"respond": "1h"}}}`, "unknown field"},
		{"unknown priority", `{"targets": {"P5": {"response": "1h"}}}`, `"P5"`},
		{"bad duration", `{"targets": {"P1": {"response": "an hour"}}}`, "P1 response"},
		{"negative target", `{"targets": {"P1": {"response": "-1h"}}}`, "positive"},
		{"response over resolution", `{"targets": {"P1": {"response": "9h"}}}`, "exceeds"},
		{"two objects", `{} {}`, "after the policy"},
		{"unknown zone", `{"calendar": {"timeZone": "Mars/Olympus", "open": "09:00", "close": "17:00"}}`, "Mars/Olympus"},
		{"bad weekday", `{"calendar": {"weekdays": ["Funday"], "open": "09:00", "close": "17:00"}}`, "Funday"},
		{"no weekdays", `{"calendar": {"weekdays": [], "open": "09:00", "close": "17:00"}}`, "no working weekdays"},
		{"no open", `{"calendar": {"close": "17:00"}}`, "open is required"},
		{"bad open", `{"calendar": {"open": "9am", "close": "17:00"}}`, `"9am"`},
		{"open 25:00", `{"calendar": {"open": "25:00", "close": "26:00"}}`, `"25:00"`},
		{"close before open", `{"calendar": {"open": "17:00", "close": "09:00"}}`, "not after"},
		{"bad holiday", `{"calendar": {"open": "09:00", "close": "17:00", "holidays": ["25.12.2026"]}}`, "25.12.2026"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sla.LoadPolicy(strings.NewReader(tc.json))
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, sla.ErrInvalidPolicy) {
				t.Errorf("error %v does not wrap ErrInvalidPolicy", err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}
