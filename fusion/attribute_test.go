package fusion

import (
	"math"
	"strings"
	"testing"

	truce "github.com/truce-project/truce"
)

// fixAt is a fix at lat, lon whose 95% ellipse has the given semi-axes, the major one at
// azimuth azDeg.
func fixAt(lat, lon, majorM, minorM, azDeg float64) *Fix {
	sa, sb := majorM*majorM/chi2Ellipse95, minorM*minorM/chi2Ellipse95
	ue, un := math.Sincos(azDeg * deg)
	ve, vn := un, -ue
	f := &Fix{Target: TargetOrigin, Lat: lat, Lon: lon, Bearings: 3,
		CovEE: sa*ue*ue + sb*ve*ve, CovEN: sa*ue*un + sb*ve*vn, CovNN: sa*un*un + sb*vn*vn}
	f.Ellipse = ellipseOf(f.CovEE, f.CovEN, f.CovNN)
	return f
}

func TestOriginIsAttributedOnlyWhenItsWholeEllipseIsOnOneSide(t *testing.T) {
	j := notionalEast(t)
	at := newAttributor(j.Agreement(), j.Engine())
	tests := []struct {
		name         string
		party        string
		distM        float64
		major, minor float64
		rotDeg       float64 // the major axis's angle from the line's direction
		want         string
		say          string
	}{
		{"far from the line, small circle", "east", 4000, 1000, 1000, 0, "east", "entirely on Party East's side"},
		{"circle reaching across the line", "east", 500, 1000, 1000, 0, truce.PartyUndetermined, "reaches across the line"},
		{"long ellipse along the line, clear of it", "west", 1500, 5000, 1000, 0, "west", "entirely on Party West's side"},
		{"the same ellipse across the line", "west", 1500, 5000, 1000, 90, truce.PartyUndetermined, "reaches across the line"},
		// At 45° the ellipse reaches √((a² + b²)/2) = 1,431 m towards the line.
		{"oblique ellipse clear of the line", "east", 1600, 2000, 300, 45, "east", "entirely on Party East's side"},
		{"oblique ellipse reaching the line", "east", 1300, 2000, 300, 45, truce.PartyUndetermined, "reaches across the line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lat, lon, azLine := sideOfLine(t, j, tt.party, tt.distM)
			az := azLine + tt.rotDeg
			got := at.attribute(fixAt(lat, lon, tt.major, tt.minor, az), nil)
			if got.Party != tt.want || !strings.Contains(got.Explanation, tt.say) || got.Line != "contact" {
				t.Errorf("attributed to %q: %q; want %q saying %q", got.Party, got.Explanation, tt.want, tt.say)
			}
			if math.Abs(got.DistanceM-tt.distM) > 50 {
				t.Errorf("distance to the line %.0f m; want %.0f", got.DistanceM, tt.distM)
			}
		})
	}
}

func TestUnlocatedOrImpactOnlyFireIsUndetermined(t *testing.T) {
	j := notionalEast(t)
	at := newAttributor(j.Agreement(), j.Engine())
	if got := at.attribute(nil, nil); got.Party != truce.PartyUndetermined || !strings.Contains(got.Explanation, "not been located") {
		t.Errorf("no origin: %+v", got)
	}
	impact := fixAt(47.9, 37.2, 800, 400, 0)
	impact.Target = TargetImpact
	if got := at.attribute(nil, impact); got.Party != truce.PartyUndetermined || !strings.Contains(got.Explanation, "impact") {
		t.Errorf("impact only: %+v", got)
	}
	uncrossed := fixAt(47.9, 37.2, 800, 400, 0)
	uncrossed.Uncrossed = true
	lat, lon, _ := sideOfLine(t, j, "east", 20000)
	uncrossed.Lat, uncrossed.Lon = lat, lon
	if got := at.attribute(uncrossed, uncrossed); got.Party != truce.PartyUndetermined || !strings.Contains(got.Explanation, "do not cross") {
		t.Errorf("uncrossed bearings: %+v", got)
	}
}

// Beyond an end of the line, package geo takes the side of the end piece extended; an
// ellipse that reaches across that extension is not on one side.
func TestEllipseBeyondTheLinesEndIsJudgedAgainstItsExtension(t *testing.T) {
	j := notionalEast(t)
	a := j.Agreement()
	at := newAttributor(a, j.Engine())
	li := a.LineIndex("contact")
	path := a.Lines[li].Path
	_, az := inverse(path[1][1], path[1][0], path[0][1], path[0][0]) // outwards from the end
	elat, elon := destination(path[0][1], path[0][0], az, 5000)
	// Walking the line runs against az; its left is az + 90.
	lat, lon := destination(elat, elon, az+90, 600)
	for _, tt := range []struct {
		radiusM float64
		want    string
	}{{400, a.Lines[li].Left}, {1000, truce.PartyUndetermined}} {
		got := at.attribute(fixAt(lat, lon, tt.radiusM, tt.radiusM, 0), nil)
		if got.Party != tt.want {
			t.Errorf("circle of %.0f m 600 m from the extension: %q (%s); want %q", tt.radiusM, got.Party, got.Explanation, tt.want)
		}
	}
}
