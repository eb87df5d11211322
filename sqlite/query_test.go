package sqlite

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// storeData ingests n generated observations in batches of 400 and returns them as judged.
func storeData(t testing.TB, db *DB, n int) []truce.Judged {
	t.Helper()
	all := judged(0, n)
	for lo := 0; lo < n; lo += 400 {
		ingest(t, db, all[lo:min(lo+400, n)])
	}
	return all
}

var cyprusEast = &truce.BBox{MinLon: 33.2, MinLat: 35.3, MaxLon: 33.6, MaxLat: 35.7}

func TestObservationPagesWalkEveryMatchOnceUnderEachFilter(t *testing.T) {
	db := open(t)
	all := storeData(t, db, 2500)
	filters := []struct {
		name  string
		f     truce.ObservationFilter
		match func(o *truce.Observation) bool
	}{
		{"none", truce.ObservationFilter{}, func(*truce.Observation) bool { return true }},
		{"time", truce.ObservationFilter{From: t0.Add(100 * time.Second), To: t0.Add(1900 * time.Second)},
			func(o *truce.Observation) bool {
				return !o.Time.Before(t0.Add(100*time.Second)) && o.Time.Before(t0.Add(1900*time.Second))
			}},
		{"from only", truce.ObservationFilter{From: t0.Add(2400 * time.Second)},
			func(o *truce.Observation) bool { return !o.Time.Before(t0.Add(2400 * time.Second)) }},
		{"bbox", truce.ObservationFilter{BBox: cyprusEast}, func(o *truce.Observation) bool { return cyprusEast.Contains(o.Lat, o.Lon) }},
		{"kind", truce.ObservationFilter{Kind: "sea.vessel"}, func(o *truce.Observation) bool { return o.Kind == "sea.vessel" }},
		{"kind family", truce.ObservationFilter{Kind: "fire.*"}, func(o *truce.Observation) bool { return truce.KindMatches("fire.*", o.Kind) }},
		{"family of one kind", truce.ObservationFilter{Kind: "sea.*"}, func(o *truce.Observation) bool { return o.Kind == "sea.vessel" }},
		{"source", truce.ObservationFilter{Source: "ais"}, func(o *truce.Observation) bool { return o.Source == "ais" }},
		{"party", truce.ObservationFilter{Party: "west"}, func(o *truce.Observation) bool { return o.Party == "west" }},
		{"everything at once", truce.ObservationFilter{From: t0.Add(500 * time.Second), BBox: cyprusEast, Kind: "presence.*", Source: "patrol-7", Party: "east"},
			func(o *truce.Observation) bool {
				return !o.Time.Before(t0.Add(500*time.Second)) && cyprusEast.Contains(o.Lat, o.Lon) &&
					truce.KindMatches("presence.*", o.Kind) && o.Source == "patrol-7" && o.Party == "east"
			}},
		{"nothing matches", truce.ObservationFilter{Kind: "air.*", Source: "nobody"}, func(*truce.Observation) bool { return false }},
	}
	for _, fc := range filters {
		var want []*truce.Observation
		for _, j := range all {
			if fc.match(j.Observation) {
				want = append(want, j.Observation)
			}
		}
		for _, limit := range []int{7, 100, 1000} {
			f := fc.f
			f.Limit = limit
			var got []truce.Observation
			pages := 0
			for {
				page, next, err := db.Observations(context.Background(), f)
				if err != nil {
					t.Fatalf("%s, limit %d: %v", fc.name, limit, err)
				}
				if len(page) > limit {
					t.Fatalf("%s, limit %d: a page of %d", fc.name, limit, len(page))
				}
				if next != "" && len(page) != limit {
					t.Fatalf("%s, limit %d: a page of %d with a next page", fc.name, limit, len(page))
				}
				got = append(got, page...)
				pages++
				if next == "" {
					break
				}
				f.Cursor = next
			}
			if len(got) != len(want) {
				t.Errorf("%s, limit %d: %d observations in %d pages, want %d", fc.name, limit, len(got), pages, len(want))
				continue
			}
			for i := range got {
				if got[i].ID != want[i].ID || got[i].Source != want[i].Source {
					t.Errorf("%s, limit %d: observation %d is %s/%s, want %s/%s", fc.name, limit, i, got[i].Source, got[i].ID, want[i].Source, want[i].ID)
					break
				}
			}
			if wantPages := max(1, (len(want)+limit-1)/limit); pages != wantPages {
				t.Errorf("%s, limit %d: %d pages, want %d", fc.name, limit, pages, wantPages)
			}
		}
		if len(want) == 0 && fc.name != "nothing matches" {
			t.Errorf("%s: the test data has no match; the filter is not tested", fc.name)
		}
	}
}

func TestFindingPagesWalkEveryMatchOnceUnderEachFilter(t *testing.T) {
	db := open(t)
	all := storeData(t, db, 2500)
	var stored []truce.Finding
	for _, j := range all {
		stored = append(stored, j.Findings...)
	}
	filters := []struct {
		name  string
		f     truce.FindingFilter
		match func(f *truce.Finding) bool
	}{
		{"none", truce.FindingFilter{}, func(*truce.Finding) bool { return true }},
		{"time", truce.FindingFilter{From: t0.Add(100 * time.Second), To: t0.Add(1900 * time.Second)},
			func(f *truce.Finding) bool {
				return !f.Time.Before(t0.Add(100*time.Second)) && f.Time.Before(t0.Add(1900*time.Second))
			}},
		{"to only", truce.FindingFilter{To: t0.Add(300 * time.Second)}, func(f *truce.Finding) bool { return f.Time.Before(t0.Add(300 * time.Second)) }},
		{"bbox", truce.FindingFilter{BBox: cyprusEast}, func(f *truce.Finding) bool { return cyprusEast.Contains(f.Lat, f.Lon) }},
		{"kind", truce.FindingFilter{Kind: "fire.burst"}, func(f *truce.Finding) bool { return f.Kind == "fire.burst" }},
		{"kind family", truce.FindingFilter{Kind: "presence.*"}, func(f *truce.Finding) bool { return truce.KindMatches("presence.*", f.Kind) }},
		{"rule", truce.FindingFilter{Rule: "heavy-weapons"}, func(f *truce.Finding) bool { return f.Rule == "heavy-weapons" }},
		{"party", truce.FindingFilter{Party: "east"}, func(f *truce.Finding) bool { return f.Party == "east" }},
		{"zone", truce.FindingFilter{Zone: "corridor"}, func(f *truce.Finding) bool { return f.Zone == "corridor" }},
		{"status", truce.FindingFilter{Status: truce.StatusPossible}, func(f *truce.Finding) bool { return f.Status == truce.StatusPossible }},
		{"everything at once", truce.FindingFilter{From: t0.Add(10 * time.Second), To: t0.Add(2000 * time.Second), BBox: cyprusEast,
			Kind: "fire.*", Rule: "dmz-presence", Party: "west", Zone: "dmz", Status: truce.StatusInside},
			func(f *truce.Finding) bool {
				return !f.Time.Before(t0.Add(10*time.Second)) && f.Time.Before(t0.Add(2000*time.Second)) &&
					cyprusEast.Contains(f.Lat, f.Lon) && truce.KindMatches("fire.*", f.Kind) && f.Rule == "dmz-presence" &&
					f.Party == "west" && f.Zone == "dmz" && f.Status == truce.StatusInside
			}},
	}
	for _, fc := range filters {
		var want []truce.Finding
		for _, f := range stored {
			if fc.match(&f) {
				want = append(want, f)
			}
		}
		if len(want) == 0 {
			t.Errorf("%s: the test data has no match; the filter is not tested", fc.name)
		}
		for _, limit := range []int{7, 100, 1000} {
			f := fc.f
			f.Limit = limit
			var got []truce.Finding
			for {
				page, next, err := db.Findings(context.Background(), f)
				if err != nil {
					t.Fatalf("%s, limit %d: %v", fc.name, limit, err)
				}
				if len(page) > limit || (next != "" && len(page) != limit) {
					t.Fatalf("%s, limit %d: a page of %d, next %q", fc.name, limit, len(page), next)
				}
				got = append(got, page...)
				if next == "" {
					break
				}
				f.Cursor = next
			}
			if len(got) != len(want) {
				t.Errorf("%s, limit %d: %d findings, want %d", fc.name, limit, len(got), len(want))
				continue
			}
			equalFindings(t, got, want)
		}
	}
}

func TestPagesStayInPlaceWhileRecordsArrive(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	ingest(t, db, judged(0, 30))
	page, next, err := db.Observations(ctx, truce.ObservationFilter{Limit: 20})
	if err != nil || len(page) != 20 || next == "" {
		t.Fatalf("first page: %d, %q, %v", len(page), next, err)
	}
	ingest(t, db, judged(30, 5))
	page, next, err = db.Observations(ctx, truce.ObservationFilter{Limit: 20, Cursor: next})
	if err != nil || len(page) != 15 || next != "" {
		t.Fatalf("second page: %d, %q, %v; want the 10 left and the 5 new", len(page), next, err)
	}
	if page[0].ID != observation(20).ID || page[14].ID != observation(34).ID {
		t.Errorf("second page runs from %s to %s", page[0].ID, page[14].ID)
	}
}

func TestLimitDefaultsTo100AndIsCappedAt1000(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	storeData(t, db, 1200)
	for _, c := range []struct{ limit, want int }{{0, 100}, {-5, 100}, {1, 1}, {1000, 1000}, {5000, 1000}} {
		obs, next, err := db.Observations(ctx, truce.ObservationFilter{Limit: c.limit})
		if err != nil || len(obs) != c.want || next == "" {
			t.Errorf("Observations with limit %d: %d, %q, %v; want %d and a next page", c.limit, len(obs), next, err, c.want)
		}
		fs, next, err := db.Findings(ctx, truce.FindingFilter{Limit: c.limit})
		if err != nil || len(fs) != c.want || next == "" {
			t.Errorf("Findings with limit %d: %d, %q, %v; want %d and a next page", c.limit, len(fs), next, err, c.want)
		}
		events, err := db.Events(ctx, 0, c.limit)
		if err != nil || len(events) != c.want {
			t.Errorf("Events with limit %d: %d, %v; want %d", c.limit, len(events), err, c.want)
		}
	}
}

func TestAMalformedCursorIsInvalid(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	storeData(t, db, 10)
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, c := range []struct{ name, cursor string }{
		{"not base64", "%%%"},
		{"padded base64", base64.URLEncoding.EncodeToString([]byte("o:12"))},
		{"no tag", b64("12")},
		{"a finding cursor", b64("f:3")},
		{"no number", b64("o:")},
		{"a negative number", b64("o:-4")},
		{"zero", b64("o:0")},
		{"leading zeros", b64("o:007")},
		{"too large", b64("o:99999999999999999999")},
		{"trailing bytes", b64("o:3x")},
	} {
		_, _, err := db.Observations(ctx, truce.ObservationFilter{Cursor: c.cursor})
		if truce.ErrorCode(err) != truce.EINVALID {
			t.Errorf("Observations with %s (%q): %v, want EINVALID", c.name, c.cursor, err)
		}
	}
	_, _, err := db.Findings(ctx, truce.FindingFilter{Cursor: b64("o:3")})
	if truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("Findings with an observation cursor: %v, want EINVALID", err)
	}
}

func TestABoxWithACornerThatIsNotANumberIsInvalid(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	box := &truce.BBox{MinLat: nan(), MaxLat: 1, MaxLon: 1}
	if _, _, err := db.Observations(ctx, truce.ObservationFilter{BBox: box}); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("Observations: %v, want EINVALID", err)
	}
	if _, _, err := db.Findings(ctx, truce.FindingFilter{BBox: box}); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("Findings: %v, want EINVALID", err)
	}
}

func TestTimeBoundsBeyondWhatTheStoreHoldsFilterNothingOut(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	storeData(t, db, 30)
	longAgo := time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)
	farAhead := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{"from long ago", longAgo, time.Time{}, 30},
		{"to far ahead", time.Time{}, farAhead, 30},
		{"both", longAgo, farAhead, 30},
		{"from far ahead", farAhead, time.Time{}, 0},
		{"to long ago", time.Time{}, longAgo, 0},
	} {
		obs, _, err := db.Observations(ctx, truce.ObservationFilter{From: c.from, To: c.to})
		if err != nil || len(obs) != c.want {
			t.Errorf("%s: %d observations, %v; want %d", c.name, len(obs), err, c.want)
		}
	}
}

func TestFindingByID(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	all := storeData(t, db, 20)
	want := all[5].Findings[1]
	got, err := db.Finding(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	equalFindings(t, []truce.Finding{*got}, []truce.Finding{want})
	if _, err := db.Finding(ctx, "no-such-finding"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Errorf("Finding of an unknown id: %v, want ENOTFOUND", err)
	}
}

func TestEventsResumeAfterASeqWithTheirFindings(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	all := judged(0, 50)
	_, seq1 := ingest(t, db, all[:30])
	// A duplicate in the second batch leaves a seq unused: Events must not care.
	second := append([]truce.Judged{all[3]}, all[30:]...)
	_, seq2 := ingest(t, db, second)
	seq := append(seq1, seq2[1:]...)
	for _, c := range []struct {
		after int64
		limit int
		first int // index in all of the first event, -1 for none
		n     int
	}{
		{0, 1000, 0, 50},
		{-1, 1000, 0, 50},
		{seq[9], 5, 10, 5},
		{seq[29], 1000, 30, 20},
		{seq[49], 1000, -1, 0},
		{seq[49] + 100, 10, -1, 0},
	} {
		events, err := db.Events(ctx, c.after, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != c.n {
			t.Errorf("Events(%d, %d): %d events, want %d", c.after, c.limit, len(events), c.n)
			continue
		}
		for k, e := range events {
			i := c.first + k
			if e.Seq != seq[i] {
				t.Errorf("Events(%d, %d)[%d]: seq %d, want %d", c.after, c.limit, k, e.Seq, seq[i])
			}
			equalObservation(t, e.Observation, all[i].Observation)
			equalFindings(t, e.Findings, all[i].Findings)
		}
	}
}
