package maritime

import (
	"strconv"
	"strings"

	"github.com/truce-project/truce"
)

// EventSource is the source of the observations EventObservation makes: the detector reports
// what it finds in the tracks as a sensor would, so that the agreement's rules judge it like
// any other report.
const EventSource = "maritime"

// EventObservation turns an event into a "sea.vessel" observation whose attrs.event is the
// event's kind, for rules such as `when: "attrs.event == 'dark'"`. Its id is stable (kind,
// vessels and start), so finding the same event again makes a duplicate, not a second report.
// Attrs: event, mmsi (of the first vessel), vessels, mmsis, start, end, zone, observations
// (the ids it rests on), explanation, and lat2/lon2 where the event has a second position.
func EventObservation(e *Event) truce.Observation {
	id := e.Kind + ":" + strings.Join(e.Vessels, "+") + ":" + strconv.FormatInt(e.Start.UnixMilli(), 10)
	mmsis := make([]any, len(e.MMSI))
	for i, m := range e.MMSI {
		mmsis[i] = float64(m)
	}
	vessels := make([]any, len(e.Vessels))
	for i, v := range e.Vessels {
		vessels[i] = v
	}
	rests := make([]any, len(e.Observations))
	for i, o := range e.Observations {
		rests[i] = o
	}
	attrs := map[string]any{
		"event":        e.Kind,
		"vessels":      vessels,
		"mmsis":        mmsis,
		"start":        e.Start.UTC().Format("2006-01-02T15:04:05Z07:00"),
		"end":          e.End.UTC().Format("2006-01-02T15:04:05Z07:00"),
		"observations": rests,
		"explanation":  e.Explanation,
	}
	if len(e.MMSI) > 0 && e.MMSI[0] != 0 {
		attrs["mmsi"] = float64(e.MMSI[0])
	}
	if e.Zone != "" {
		attrs["zone"] = e.Zone
	}
	if e.HasSecond {
		attrs["lat2"], attrs["lon2"] = e.Lat2, e.Lon2
	}
	return truce.Observation{ID: id, Source: EventSource, Time: e.End, Kind: "sea.vessel",
		Lat: e.Lat, Lon: e.Lon, Party: e.Party, Attrs: attrs}
}
