package sla

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// policyFile is the JSON form of a Policy read by LoadPolicy.
type policyFile struct {
	Targets  map[string]targetsFile `json:"targets"`
	Calendar *calendarFile          `json:"calendar"`
}

type targetsFile struct {
	Response   string `json:"response"`
	Resolution string `json:"resolution"`
}

type calendarFile struct {
	TimeZone string   `json:"timeZone"`
	Weekdays []string `json:"weekdays"`
	Open     string   `json:"open"`
	Close    string   `json:"close"`
	Holidays []string `json:"holidays"`
}

// LoadPolicy reads a Policy from JSON:
//
//	{
//	  "targets": {
//	    "P1": {"response": "30m", "resolution": "4h"},
//	    "P2": {"response": "2h"}
//	  },
//	  "calendar": {
//	    "timeZone": "Europe/Berlin",
//	    "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri"],
//	    "open": "09:00",
//	    "close": "17:00",
//	    "holidays": ["2026-12-25", "2026-12-26"]
//	  }
//	}
//
// Targets are Go durations of business time. A priority or a target left
// out keeps its default (DefaultPolicy). Without a calendar the clocks run
// 24×7. A calendar needs open and close (HH:MM, close after open, 24:00 for
// midnight); the time zone (an IANA name) defaults to UTC and the weekdays
// (English names or their three-letter abbreviations) to Monday to Friday;
// holidays are dates (YYYY-MM-DD) in the time zone. Unknown keys are
// refused. The result is validated (Policy.Validate). Empty input (or only
// whitespace) is the default policy.
func LoadPolicy(r io.Reader) (Policy, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return Policy{}, fmt.Errorf("sla: reading policy: %w", err)
	}
	p := DefaultPolicy()
	if strings.TrimSpace(string(raw)) == "" {
		return p, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	var f policyFile
	if err := dec.Decode(&f); err != nil {
		return Policy{}, fmt.Errorf("%w: %v", ErrInvalidPolicy, err)
	}
	if dec.More() {
		return Policy{}, fmt.Errorf("%w: data after the policy object", ErrInvalidPolicy)
	}
	for name, tf := range f.Targets {
		pr := Priority(name)
		if !pr.Valid() {
			return Policy{}, fmt.Errorf("%w: unknown priority %q (want P1, P2, P3 or P4)", ErrInvalidPolicy, name)
		}
		t := p.Targets[pr]
		for _, d := range []struct {
			name, v string
			into    *time.Duration
		}{{"response", tf.Response, &t.Response}, {"resolution", tf.Resolution, &t.Resolution}} {
			if d.v == "" {
				continue
			}
			v, err := time.ParseDuration(d.v)
			if err != nil {
				return Policy{}, fmt.Errorf("%w: %s %s target %q: want a duration such as 4h or 90m", ErrInvalidPolicy, pr, d.name, d.v)
			}
			*d.into = v
		}
		p.Targets[pr] = t
	}
	if f.Calendar != nil {
		if p.Calendar, err = f.Calendar.build(); err != nil {
			return Policy{}, fmt.Errorf("%w: %v", ErrInvalidPolicy, err)
		}
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

func (f *calendarFile) build() (*Calendar, error) {
	zone := f.TimeZone
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("calendar time zone %q: %v", zone, err)
	}
	days := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	if f.Weekdays != nil {
		days = days[:0:0]
		for _, name := range f.Weekdays {
			d, ok := weekday(name)
			if !ok {
				return nil, fmt.Errorf("calendar weekday %q: want Monday … Sunday or Mon … Sun", name)
			}
			days = append(days, d)
		}
	}
	open, err := timeOfDay("open", f.Open)
	if err != nil {
		return nil, err
	}
	close, err := timeOfDay("close", f.Close)
	if err != nil {
		return nil, err
	}
	var holidays []Date
	for _, h := range f.Holidays {
		t, err := time.Parse(time.DateOnly, h)
		if err != nil {
			return nil, fmt.Errorf("calendar holiday %q: want a date such as 2026-12-25", h)
		}
		holidays = append(holidays, DateOf(t))
	}
	return NewCalendar(loc, days, open, close, holidays)
}

func weekday(name string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		full := d.String()
		if strings.EqualFold(name, full) || strings.EqualFold(name, full[:3]) {
			return d, true
		}
	}
	return 0, false
}

func timeOfDay(name, v string) (TimeOfDay, error) {
	if v == "" {
		return TimeOfDay{}, fmt.Errorf("calendar %s is required (HH:MM)", name)
	}
	digit := func(i int) int { return int(v[i] - '0') }
	for i := range len(v) {
		if len(v) != 5 || i == 2 && v[i] != ':' || i != 2 && (v[i] < '0' || v[i] > '9') {
			return TimeOfDay{}, fmt.Errorf("calendar %s %q: want HH:MM", name, v)
		}
	}
	t := TimeOfDay{Hour: digit(0)*10 + digit(1), Minute: digit(3)*10 + digit(4)}
	if !t.valid() {
		return t, fmt.Errorf("calendar %s %q: want a time between 00:00 and 24:00", name, v)
	}
	return t, nil
}
