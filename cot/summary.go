package cot

import (
	"math"
	"time"
)

// Summary is the flat form of an event that truce cot decode prints as JSON: the fields a
// person or a script looks at first. Heights and errors that are not finite are nil, since
// JSON has no NaN.
type Summary struct {
	UID         string    `json:"uid"`
	Type        string    `json:"type"`
	How         string    `json:"how"`
	Time        time.Time `json:"time"`
	Start       time.Time `json:"start"`
	Stale       time.Time `json:"stale"`
	Lat         float64   `json:"lat"`
	Lon         float64   `json:"lon"`
	HAE         *float64  `json:"hae"`
	CE          *float64  `json:"ce"`
	LE          *float64  `json:"le"`
	Callsign    string    `json:"callsign,omitempty"`
	Remarks     string    `json:"remarks,omitempty"`
	Affiliation string    `json:"affiliation,omitempty"`
	Dimension   string    `json:"dimension,omitempty"`
	Group       string    `json:"group,omitempty"`
	Links       int       `json:"links,omitempty"`
}

// Summarize returns the summary of e.
func Summarize(e *Event) Summary {
	num := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	t := ParseType(e.Type)
	s := Summary{
		UID: e.UID, Type: e.Type, How: e.How,
		Time: e.Time, Start: e.Start, Stale: e.Stale,
		Lat: e.Point.Lat, Lon: e.Point.Lon,
		HAE: num(e.Point.HAE), CE: num(e.Point.CE), LE: num(e.Point.LE),
		Callsign:    e.Callsign(),
		Remarks:     e.RemarksText(),
		Affiliation: t.AffiliationName(),
		Dimension:   t.DimensionName(),
		Links:       len(e.Detail.Links),
	}
	if g := e.Detail.Group; g != nil {
		s.Group = g.Name
	}
	return s
}
