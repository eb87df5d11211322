package report_test

import (
	"context"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/report"
)

// storeVerified stores one observation for each time (a vehicle of Party East inside the
// demilitarised zone, and a restriction of movement at the same place) and has two analysts
// verify every finding they raise.
func storeVerified(t *testing.T, db truce.Store, j interface {
	Judge(*truce.Observation, []truce.Finding) []truce.Finding
}, times ...time.Time) {
	t.Helper()
	ctx := context.Background()
	for i, at := range times {
		batch := []truce.Judged{}
		for _, kind := range []string{"presence.vehicle", "access.restriction"} {
			o := &truce.Observation{ID: kind + "-" + at.Format(time.RFC3339Nano), Source: "patrol-1", Time: at, Kind: kind,
				Lat: 47.64884, Lon: 36.35962, CEm: 50, Party: "east", Attrs: map[string]any{"duration_min": float64(30 + i)}}
			fs := j.Judge(o, nil)
			if len(fs) == 0 {
				t.Fatalf("%s at %v raised no finding", kind, at)
			}
			batch = append(batch, truce.Judged{Observation: o, Findings: fs})
		}
		if _, _, err := db.Ingest(ctx, batch); err != nil {
			t.Fatal(err)
		}
		for _, jd := range batch {
			for _, f := range jd.Findings {
				for _, a := range []string{"a", "b"} {
					if _, err := db.Review(ctx, f.ID, truce.ActionVerify, a, "seen", 2); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
}

func TestCutoffAt1930LocalBelongsToTheDayItEnds(t *testing.T) {
	j := notionalEast(t)
	db := openStore(t)
	loc := kyiv(t)
	onCutoff := time.Date(2026, 5, 1, 19, 30, 0, 0, loc)
	after := onCutoff.Add(time.Second)
	storeVerified(t, db, j, onCutoff, after)
	g, err := report.New(j, db, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	earlier, err := g.WithCutoff(18 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		g    *report.Generator
		date string
		want []time.Time
	}{
		{"19:30:00 ends 1 May", g, "2026-05-01", []time.Time{onCutoff}},
		{"19:30:01 begins 2 May", g, "2026-05-02", []time.Time{after}},
		{"nothing on 30 April", g, "2026-04-30", nil},
		{"an 18:00 cut-off puts both in 2 May", earlier, "2026-05-02", []time.Time{onCutoff, after}},
		{"and none in 1 May", earlier, "2026-05-01", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := c.g.Daily(ctx, c.date)
			if err != nil {
				t.Fatal(err)
			}
			// Each time has two verified findings (the vehicle in the zone, the restriction).
			var got []time.Time
			for _, e := range d.Annex {
				if len(got) == 0 || !got[len(got)-1].Equal(e.Time) {
					got = append(got, e.Time)
				}
			}
			if len(d.Annex) != 2*len(c.want) {
				t.Errorf("%d annex entries, want %d", len(d.Annex), 2*len(c.want))
			}
			if len(got) != len(c.want) {
				t.Fatalf("annex times %v, want %v", got, c.want)
			}
			for i := range got {
				if !got[i].Equal(c.want[i]) {
					t.Errorf("annex time %d: %v, want %v", i, got[i], c.want[i])
				}
			}
			if len(d.Movement) != len(c.want) {
				t.Errorf("%d restrictions, want %d", len(d.Movement), len(c.want))
			}
			if len(d.Annex) > 0 && d.Annex[0].Local != c.want[0].In(loc).Format("2006-01-02 15:04:05") {
				t.Errorf("local time %q", d.Annex[0].Local)
			}
		})
	}
	d, err := g.Daily(ctx, "2026-05-02")
	if err != nil {
		t.Fatal(err)
	}
	// The previous period of 2 May is 1 May's.
	if d.Summary.Previous != len(storeFindings(t, db, onCutoff)) {
		t.Errorf("previous period counts %d, want the findings at 19:30:00", d.Summary.Previous)
	}
}

func storeFindings(t *testing.T, db truce.Store, at time.Time) []truce.Finding {
	fs, _, err := db.Findings(context.Background(), truce.FindingFilter{From: at, To: at.Add(time.Nanosecond)})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestDailyPeriodFollowsTheLocalClock(t *testing.T) {
	loc := kyiv(t)
	for _, c := range []struct {
		date string
		want time.Duration
	}{
		{"2026-05-01", 24 * time.Hour},
		{"2026-03-29", 23 * time.Hour}, // clocks go forward at 03:00 on the last Sunday of March
		{"2026-10-25", 25 * time.Hour}, // and back on the last Sunday of October
	} {
		p, err := report.DailyPeriod(c.date, loc, report.DefaultCutoff)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.To.Sub(p.From); got != c.want {
			t.Errorf("%s: %v long, want %v", c.date, got, c.want)
		}
		if l := p.To.In(loc); l.Hour() != 19 || l.Minute() != 30 || l.Format(time.DateOnly) != c.date {
			t.Errorf("%s: ends %v", c.date, l)
		}
	}
	for _, bad := range []string{"2026-5-1", "yesterday", "2026-02-30"} {
		if _, err := report.DailyPeriod(bad, loc, report.DefaultCutoff); truce.ErrorCode(err) != truce.EINVALID || err.Error() == "" {
			t.Errorf("%q: %v, want an invalid date", bad, err)
		}
	}
	for _, bad := range []string{"24:00", "7:30", "19.30", ""} {
		if _, err := report.ParseCutoff(bad); truce.ErrorCode(err) != truce.EINVALID {
			t.Errorf("cutoff %q: %v, want invalid", bad, err)
		}
	}
	if d, err := report.ParseCutoff("07:05"); err != nil || d != 7*time.Hour+5*time.Minute {
		t.Errorf("07:05: %v %v", d, err)
	}
}
