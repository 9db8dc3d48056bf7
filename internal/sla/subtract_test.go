package sla

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestSubtract(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	office := officeCal(t, ny, Date{2024, 7, 4})
	night, err := NewCalendar(ny, allDays, TimeOfDay{0, 0}, TimeOfDay{6, 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := func(y int, m time.Month, day, hh, mm int) time.Time { return time.Date(y, m, day, hh, mm, 0, 0, ny) }
	for _, tc := range []struct {
		name string
		cal  *Calendar
		end  time.Time
		dur  time.Duration
		want time.Time
	}{
		{"zero returns end", office, d(2024, 3, 9, 3, 0), 0, d(2024, 3, 9, 3, 0)},
		{"negative returns end", office, d(2024, 3, 9, 3, 0), -h, d(2024, 3, 9, 3, 0)},
		{"inside the window", office, d(2024, 3, 8, 12, 0), 2 * h, d(2024, 3, 8, 10, 0)},
		{"exactly the morning is the opening", office, d(2024, 3, 8, 12, 0), 3 * h, d(2024, 3, 8, 9, 0)},
		{"one more ns is the day before", office, d(2024, 3, 8, 12, 0), 3*h + 1, d(2024, 3, 7, 17, 0).Add(-1)},
		{"from Saturday counts from Friday's close", office, d(2024, 3, 9, 3, 0), h, d(2024, 3, 8, 16, 0)},
		{"1ns before Monday's opening", office, d(2024, 3, 11, 9, 0), 1, d(2024, 3, 8, 17, 0).Add(-1)},
		{"a whole day from the opening is the day before's opening", office, d(2024, 3, 8, 9, 0), 8 * h, d(2024, 3, 7, 9, 0)},
		{"skips the holiday", office, d(2024, 7, 5, 9, 0), 8 * h, d(2024, 7, 3, 9, 0)},
		{"40h across spring forward", office, d(2024, 3, 14, 17, 0), 40 * h, d(2024, 3, 8, 9, 0)},
		{"night window after the jump", night, d(2024, 3, 10, 6, 0), 5 * h, d(2024, 3, 10, 0, 0)},
	} {
		if got := tc.cal.Subtract(tc.end, tc.dur); !got.Equal(tc.want) {
			t.Errorf("%s: Subtract = %s, want %s", tc.name, got.In(ny), tc.want)
		}
	}
	var wall *Calendar
	if got := wall.Subtract(t0, 5*h+7); !got.Equal(t0.Add(-5*h - 7)) {
		t.Errorf("nil calendar: Subtract = %s", got)
	}
	if got := office.Subtract(t0.In(time.UTC), h); got.Location() != time.UTC {
		t.Errorf("result in %s, want end's location", got.Location())
	}
}

// Subtract(end, d) is the latest instant with d of business time before
// end: Between gives d back, and 1ns later gives d-1ns.
func TestSubtractRoundTrip(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	office := officeCal(t, ny, Date{2024, 7, 4}, Date{2024, 12, 25}, Date{2025, 1, 1})
	rng := rand.New(rand.NewPCG(7, 11))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 3000; i++ {
		end := base.Add(time.Duration(rng.Int64N(int64(2 * 365 * 24 * h))))
		dur := time.Duration(rng.Int64N(int64(300 * h)))
		if i%10 == 0 {
			dur = time.Duration(rng.IntN(40)) * office.DayLength() // whole days land on openings
		}
		got := office.Subtract(end, dur)
		if b := office.Between(got, end); b != dur {
			t.Fatalf("Between(Subtract(%s, %s), end) = %s", end, dur, b)
		}
		if dur > 0 {
			if b := office.Between(got.Add(1), end); b != dur-1 {
				t.Fatalf("Subtract(%s, %s) = %s is not the latest such instant", end, dur, got)
			}
			if !office.IsOpen(got) {
				t.Fatalf("Subtract(%s, %s) = %s is outside working hours", end, dur, got.In(ny))
			}
		}
	}
}

func TestDayLength(t *testing.T) {
	var wall *Calendar
	if got := wall.DayLength(); got != 24*h {
		t.Errorf("nil calendar: %s", got)
	}
	if got := officeCal(t, time.UTC).DayLength(); got != 8*h {
		t.Errorf("office: %s", got)
	}
	full, err := NewCalendar(time.UTC, allDays, TimeOfDay{0, 0}, TimeOfDay{24, 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := full.DayLength(); got != 24*h {
		t.Errorf("00:00-24:00: %s", got)
	}
}
