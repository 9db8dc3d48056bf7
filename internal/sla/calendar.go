package sla

import (
	"errors"
	"fmt"
	"time"
)

// TimeOfDay is a wall-clock time within a day in a Calendar's zone.
// Hour is 0..24; 24:00 (Minute 0) denotes the end of the day (next midnight).
type TimeOfDay struct {
	Hour, Minute int
}

func (t TimeOfDay) valid() bool {
	if t.Hour == 24 {
		return t.Minute == 0
	}
	return t.Hour >= 0 && t.Hour < 24 && t.Minute >= 0 && t.Minute < 60
}

func (t TimeOfDay) minutes() int { return t.Hour*60 + t.Minute }

// String formats t as HH:MM.
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute) }

// Date is a civil (calendar) date, interpreted in a Calendar's zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the civil date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// noon returns d at 12:00 UTC; used for normalisation and weekday arithmetic.
func (d Date) noon() time.Time { return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC) }

func (d Date) next() Date { return DateOf(time.Date(d.Year, d.Month, d.Day+1, 12, 0, 0, 0, time.UTC)) }

func (d Date) prev() Date { return DateOf(time.Date(d.Year, d.Month, d.Day-1, 12, 0, 0, 0, time.UTC)) }

func (d Date) normalize() Date { return DateOf(d.noon()) }

func (d Date) after(o Date) bool {
	if d.Year != o.Year {
		return d.Year > o.Year
	}
	if d.Month != o.Month {
		return d.Month > o.Month
	}
	return d.Day > o.Day
}

// Calendar is a business schedule: a time zone, the working weekdays, one
// working window per working day [Open, Close) in wall-clock time, and
// holidays (civil dates in the zone) on which nothing counts.
//
// All arithmetic is done per wall-clock day in the zone: each working,
// non-holiday day D contributes the real (elapsed) time between the instants
// D Open and D Close in the zone, so DST changes are handled exactly
// (a window containing a DST transition is 1h shorter/longer, as on the wall).
// A window never leaves its day: an opening the zone skips starts at the
// day's first instant, and a day the zone skips entirely contributes nothing.
// Work is constant per calendar day visited; time is never stepped minute by
// minute.
//
// A nil *Calendar means 24×7: business time equals wall time.
// The zero Calendar is invalid; build one with NewCalendar. A Calendar is
// immutable and safe for concurrent use.
type Calendar struct {
	loc         *time.Location
	workdays    [7]bool
	open, close TimeOfDay
	holidays    map[Date]struct{}
}

// NewCalendar builds a Calendar. weekdays must be non-empty, open and close
// valid with close after open (close may be 24:00). Holidays are civil dates in loc.
func NewCalendar(loc *time.Location, weekdays []time.Weekday, open, close TimeOfDay, holidays []Date) (*Calendar, error) {
	if loc == nil {
		return nil, errors.New("sla: calendar: nil location")
	}
	if len(weekdays) == 0 {
		return nil, errors.New("sla: calendar: no working weekdays")
	}
	if !open.valid() || open.Hour == 24 {
		return nil, fmt.Errorf("sla: calendar: invalid opening time %s", open)
	}
	if !close.valid() {
		return nil, fmt.Errorf("sla: calendar: invalid closing time %s", close)
	}
	if close.minutes() <= open.minutes() {
		return nil, fmt.Errorf("sla: calendar: closing time %s not after opening time %s", close, open)
	}
	c := &Calendar{loc: loc, open: open, close: close, holidays: make(map[Date]struct{}, len(holidays))}
	for _, wd := range weekdays {
		if wd < time.Sunday || wd > time.Saturday {
			return nil, fmt.Errorf("sla: calendar: invalid weekday %d", wd)
		}
		c.workdays[wd] = true
	}
	for _, h := range holidays {
		n := h.normalize()
		if n != h {
			return nil, fmt.Errorf("sla: calendar: invalid holiday date %s", h)
		}
		c.holidays[h] = struct{}{}
	}
	return c, nil
}

// Location returns the calendar's time zone (UTC for a nil calendar).
func (c *Calendar) Location() *time.Location {
	if c == nil {
		return time.UTC
	}
	return c.loc
}

func (c *Calendar) validate() error {
	if c == nil {
		return nil
	}
	if c.loc == nil || c.close.minutes() <= c.open.minutes() || c.workdays == [7]bool{} {
		return errors.New("sla: invalid calendar (use NewCalendar)")
	}
	return nil
}

func (c *Calendar) mustValid() {
	if err := c.validate(); err != nil {
		panic(err)
	}
}

// window returns the working window of civil day d, if d is a working day.
func (c *Calendar) window(d Date) (open, close time.Time, ok bool) {
	if !c.workdays[d.noon().Weekday()] {
		return
	}
	if _, hol := c.holidays[d]; hol {
		return
	}
	open = time.Date(d.Year, d.Month, d.Day, c.open.Hour, c.open.Minute, 0, 0, c.loc)
	close = time.Date(d.Year, d.Month, d.Day, c.close.Hour, c.close.Minute, 0, 0, c.loc)
	// Keep the window inside the day as it exists on the wall clock: a
	// wall time a transition skips (Santiago's midnight in September, a
	// whole day in Apia in 2011) normalises to an instant of another day,
	// which would count twice or disagree with IsOpen (found by
	// FuzzCalendar). 24:00 is the first instant of the next day.
	first, next := c.dayStart(d), c.dayStart(d.next())
	if open.Before(first) {
		open = first
	}
	if c.close.Hour == 24 || close.After(next) {
		close = next
	}
	return open, close, close.After(open)
}

// dayStart is the first instant whose civil date in the zone is d or later
// (for a day the zone skips, the first instant of the day after).
func (c *Calendar) dayStart(d Date) time.Time {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, c.loc)
	for i := 0; i < 3 && d.after(DateOf(t)); i++ {
		// Midnight does not exist and normalised to the day before: the
		// day starts at the next transition.
		_, end := t.ZoneBounds()
		if end.IsZero() {
			break
		}
		t = end
	}
	return t
}

// IsOpen reports whether t lies inside a working window [open, close).
func (c *Calendar) IsOpen(t time.Time) bool {
	if c == nil {
		return true
	}
	c.mustValid()
	o, cl, ok := c.window(DateOf(t.In(c.loc)))
	return ok && !t.Before(o) && t.Before(cl)
}

// Add returns the earliest instant t >= start such that Between(start, t) == d,
// i.e. the instant at which d of business time has elapsed after start. If start
// is outside working hours, counting begins at the next opening (so for d > 0
// the result is never outside a window; it may equal a closing time). d <= 0
// returns start unchanged. The result is expressed in start's location.
func (c *Calendar) Add(start time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return start
	}
	if c == nil {
		return start.Add(d)
	}
	c.mustValid()
	remaining := d
	for day := DateOf(start.In(c.loc)); ; day = day.next() {
		o, cl, ok := c.window(day)
		if !ok || !cl.After(start) {
			continue
		}
		from := o
		if start.After(from) {
			from = start
		}
		if avail := cl.Sub(from); remaining <= avail {
			return from.Add(remaining).In(start.Location())
		} else {
			remaining -= avail
		}
	}
}

// Subtract is Add backwards: it returns the latest instant t <= end such
// that Between(t, end) == d, i.e. the instant d of business time before end.
// If end is outside working hours, counting begins at the previous closing
// (so for d > 0 the result lies inside a window or at its opening). Every
// instant u with Between(u, end) >= d is at or before the result. d <= 0
// returns end unchanged. The result is expressed in end's location.
func (c *Calendar) Subtract(end time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return end
	}
	if c == nil {
		return end.Add(-d)
	}
	c.mustValid()
	remaining := d
	for day := DateOf(end.In(c.loc)); ; day = day.prev() {
		o, cl, ok := c.window(day)
		if !ok || !o.Before(end) {
			continue
		}
		to := cl
		if end.Before(to) {
			to = end
		}
		if avail := to.Sub(o); remaining <= avail {
			return to.Add(-remaining).In(end.Location())
		} else {
			remaining -= avail
		}
	}
}

// DayLength is the length of a working day: the wall-clock time between
// opening and closing (a window containing a DST change is an hour shorter
// or longer in real time). A nil calendar's day is 24h.
func (c *Calendar) DayLength() time.Duration {
	if c == nil {
		return 24 * time.Hour
	}
	return time.Duration(c.close.minutes()-c.open.minutes()) * time.Minute
}

// Between returns the business time in the half-open interval [a, b): the sum
// over working days of the overlap with that day's window. If b is before a the
// result is -Between(b, a).
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if c == nil {
		return b.Sub(a)
	}
	if b.Before(a) {
		return -c.Between(b, a)
	}
	c.mustValid()
	var total time.Duration
	last := DateOf(b.In(c.loc))
	for day := DateOf(a.In(c.loc)); !day.after(last); day = day.next() {
		o, cl, ok := c.window(day)
		if !ok {
			continue
		}
		if a.After(o) {
			o = a
		}
		if b.Before(cl) {
			cl = b
		}
		if cl.After(o) {
			total += cl.Sub(o)
		}
	}
	return total
}
