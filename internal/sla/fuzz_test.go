package sla

import (
	"testing"
	"time"
)

// fuzzZones are the zones FuzzCalendar picks from: the usual ones and those
// whose transitions are odd (half-hour DST, DST at midnight, a skipped day).
var fuzzZones = []string{"UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe",
	"Asia/Kathmandu", "America/Santiago", "Pacific/Apia", "America/St_Johns"}

// fuzzEpoch is the first instant FuzzCalendar starts from (a Monday);
// starts lie within ~60 years of it, minute-aligned.
var fuzzEpoch = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)

// FuzzCalendar checks the business-hours arithmetic on arbitrary calendars
// (zone, working weekdays, window, one holiday), start instants and
// durations: nothing panics; Add never goes back in time and is monotonic
// in the duration; Between(start, Add(start, d)) == d; Subtract inverts
// Add; and on small inputs Add and Between agree with a naive oracle that
// steps minute by minute and counts the minutes IsOpen says are open.
// Evaluate's due time of a fresh request is never before its creation.
func FuzzCalendar(f *testing.F) {
	for _, s := range []struct {
		zone        uint8
		start       uint32 // minutes since fuzzEpoch
		d1, d2      uint16 // minutes
		weekdays    uint8
		open, close uint16 // minutes of the day
		holiday     int16  // days after start's date (0: none)
	}{
		{0, 0, 60, 480, 0x3e, 540, 1020, 0},
		{1, uint32(time.Date(2024, 3, 9, 12, 0, 0, 0, time.UTC).Sub(fuzzEpoch).Minutes()), 120, 2000, 0x7f, 90, 200, 0},     // DST spring forward, window across 02:00
		{1, uint32(time.Date(2024, 11, 2, 12, 0, 0, 0, time.UTC).Sub(fuzzEpoch).Minutes()), 120, 2000, 0x7f, 30, 150, 0},    // DST fall back
		{3, uint32(time.Date(2024, 4, 6, 10, 0, 0, 0, time.UTC).Sub(fuzzEpoch).Minutes()), 45, 900, 0x7f, 60, 180, 1},       // Lord Howe: 30-minute DST
		{5, uint32(time.Date(2024, 9, 7, 12, 0, 0, 0, time.UTC).Sub(fuzzEpoch).Minutes()), 30, 3000, 0x7f, 0, 1440, 0},      // Santiago: midnight does not exist
		{6, uint32(time.Date(2011, 12, 28, 20, 0, 0, 0, time.UTC).Sub(fuzzEpoch).Minutes()), 200, 3000, 0x7f, 540, 1020, 0}, // Apia skipped 30 Dec 2011
		{7, 12345, 1, 65535, 0x41, 0, 1, 3},
		{2, 99999, 0, 0, 0x01, 1439, 1440, -1},
	} {
		f.Add(s.zone, s.start, s.d1, s.d2, s.weekdays, s.open, s.close, s.holiday)
	}
	locs := make([]*time.Location, len(fuzzZones))
	for i, z := range fuzzZones {
		l, err := time.LoadLocation(z)
		if err != nil {
			f.Fatalf("zone %s: %v", z, err)
		}
		locs[i] = l
	}
	f.Fuzz(func(t *testing.T, zone uint8, startMin uint32, d1m, d2m uint16, weekdays uint8, openMin, closeMin uint16, holiday int16) {
		loc := locs[int(zone)%len(locs)]
		start := fuzzEpoch.Add(time.Duration(startMin%(60*366*24*60)) * time.Minute).In(loc)
		var days []time.Weekday
		for wd := time.Sunday; wd <= time.Saturday; wd++ {
			if weekdays&(1<<wd) != 0 {
				days = append(days, wd)
			}
		}
		var hols []Date
		if holiday != 0 {
			hols = append(hols, DateOf(start.AddDate(0, 0, int(holiday))))
		}
		open := TimeOfDay{int(openMin) / 60, int(openMin) % 60}
		close := TimeOfDay{int(closeMin) / 60, int(closeMin) % 60}
		c, err := NewCalendar(loc, days, open, close, hols)
		if err != nil {
			return
		}
		d1, d2 := time.Duration(d1m)*time.Minute, time.Duration(d2m)*time.Minute
		if d1 > d2 {
			d1, d2 = d2, d1
		}
		a1, a2 := c.Add(start, d1), c.Add(start, d2)
		if a1.Before(start) || a2.Before(a1) {
			t.Fatalf("Add not monotonic: start %s, Add(%s) = %s, Add(%s) = %s", start, d1, a1, d2, a2)
		}
		for _, x := range []struct {
			d time.Duration
			a time.Time
		}{{d1, a1}, {d2, a2}} {
			if got := c.Between(start, x.a); got != x.d {
				t.Fatalf("Between(%s, Add(%s) = %s) = %s", start, x.d, x.a, got)
			}
			if x.d > 0 {
				if b := c.Between(start, x.a.Add(-time.Nanosecond)); b >= x.d {
					t.Fatalf("Add(%s, %s) = %s is not the earliest: Between up to 1ns before = %s", start, x.d, x.a, b)
				}
				if s := c.Subtract(x.a, x.d); s.After(x.a) || c.Between(s, x.a) != x.d || s.Before(start) {
					t.Fatalf("Subtract(Add(%s, %s) = %s, %s) = %s, Between = %s", start, x.d, x.a, x.d, s, c.Between(s, x.a))
				}
			}
		}
		if got := c.Between(a2, start); got != -d2 {
			t.Fatalf("Between(%s, %s) = %s, want %s", a2, start, got, -d2)
		}
		// Naive oracle: minute stepping (windows and starts are minute-aligned).
		if d1m <= 240 {
			count, at := time.Duration(0), start
			for i := 0; count < d1 && i < 10*24*60; i++ {
				if c.IsOpen(at) {
					count += time.Minute
				}
				at = at.Add(time.Minute)
			}
			if count == d1 && d1 > 0 && !at.Equal(a1) {
				t.Fatalf("Add(%s, %s) = %s, minute stepping says %s", start, d1, a1, at)
			}
		}
		if span := time.Duration(d2m%(3*24*60)) * time.Minute; true {
			end := start.Add(span)
			var n time.Duration
			for at := start; at.Before(end); at = at.Add(time.Minute) {
				if c.IsOpen(at) {
					n += time.Minute
				}
			}
			if got := c.Between(start, end); got != n {
				t.Fatalf("Between(%s, %s) = %s, minute stepping says %s", start, end, got, n)
			}
		}
		// A request created at start: its due times are never before it.
		p := DefaultPolicy()
		p.Calendar = c
		st, err := Evaluate(p, []Event{{At: start, Kind: EventCreated, Priority: Priorities[int(d1m)%len(Priorities)]}}, start.Add(d2))
		if err != nil {
			t.Fatalf("Evaluate: %v", err)
		}
		for _, k := range []Clock{st.Response, st.Resolution} {
			if k.DueAt == nil || k.DueAt.Before(start) || k.Elapsed < 0 || k.Elapsed != c.Between(start, start.Add(d2)) {
				t.Fatalf("clock %+v of a request created %s, evaluated at +%s", k, start, d2)
			}
		}
	})
}
