package report

import (
	"time"

	truce "github.com/truce-project/truce"
)

// DefaultCutoff is the local time of day at which a daily report's period ends: 19:30, as
// monitoring missions' daily reports have it, so that the report can be written, checked and
// published the same evening.
const DefaultCutoff = 19*time.Hour + 30*time.Minute

// Period is the span of time a report covers: every instant after From up to and including To.
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Contains reports whether t is in the period: after From, not after To.
func (p Period) Contains(t time.Time) bool { return t.After(p.From) && !t.After(p.To) }

// bounds is the period as the store's filters take it, From inclusive and To exclusive. Times
// are kept to the nanosecond, so one nanosecond turns (From, To] into [From+1ns, To+1ns).
func (p Period) bounds() (from, to time.Time) {
	return p.From.Add(time.Nanosecond), p.To.Add(time.Nanosecond)
}

// ParseCutoff reads a cut-off written HH:MM (00:00 to 23:59).
func ParseCutoff(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, truce.Errorf(truce.EINVALID, "cutoff: %q is not a time of day written HH:MM (00:00 to 23:59)", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// formatCutoff writes a cut-off as HH:MM.
func formatCutoff(d time.Duration) string {
	return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(d).Format("15:04")
}

// ParseDate reads a report date written YYYY-MM-DD.
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, truce.Errorf(truce.EINVALID, "date: %q is not a date written YYYY-MM-DD", s)
	}
	return d, nil
}

// DailyPeriod is the period of the daily report of date (YYYY-MM-DD) in the mission's time
// zone: after the cut-off on the day before, up to and including the cut-off on the date.
// Across a change of clocks the period is 23 or 25 hours long, as the local day is.
func DailyPeriod(date string, loc *time.Location, cutoff time.Duration) (Period, error) {
	d, err := ParseDate(date)
	if err != nil {
		return Period{}, err
	}
	if cutoff < 0 || cutoff >= 24*time.Hour {
		return Period{}, truce.Errorf(truce.EINVALID, "cutoff: %v is not a time of day", cutoff)
	}
	h, m := int(cutoff/time.Hour), int(cutoff%time.Hour/time.Minute)
	at := func(day int) time.Time {
		return time.Date(d.Year(), d.Month(), d.Day()+day, h, m, 0, 0, loc).UTC()
	}
	return Period{From: at(-1), To: at(0)}, nil
}
