package ais

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"testing"

	goais "github.com/BertoldVdb/go-ais"
)

// TestDecodeAgreesWithGoAIS decodes pyais's live feed sample, which has no expected output of
// its own, with this package and with github.com/BertoldVdb/go-ais as a second opinion, and
// compares the fields both decode for position reports, base stations and static data.
func TestDecodeAgreesWithGoAIS(t *testing.T) {
	f, err := os.Open("testdata/pyais/nmea_data_sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	codec := goais.CodecNew(false, false)
	codec.DropSpace = true
	d := &Decoder{}
	compared := map[uint8]int{}
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		m, err := d.Decode(int64(n), sc.Bytes())
		if err != nil || m == nil {
			continue
		}
		theirs := codec.DecodePacket(bitsOf(m))
		if theirs == nil {
			t.Errorf("line %d: go-ais rejects a type %d message we decode", n, m.Type)
			continue
		}
		diffs, checked := compareGoAIS(m, theirs)
		for _, diff := range diffs {
			t.Errorf("line %d: type %d from %d: %s", n, m.Type, m.MMSI, diff)
		}
		if checked <= 3 && m.Type != 15 && m.Type != 20 {
			t.Errorf("line %d: type %d compared only the header", n, m.Type)
		}
		compared[m.Type]++
	}
	if len(compared) == 0 || compared[1] == 0 {
		t.Fatal("compared nothing")
	}
	t.Logf("messages compared by type: %v", compared)
}

// bitsOf unarmours m's payload into one bit per byte, go-ais's input form.
func bitsOf(m *Message) []byte {
	var bs bitString
	if err := bs.unarmour(m.Payload, m.Fill); err != nil {
		panic(err)
	}
	out := make([]byte, bs.n)
	for i := range out {
		out[i] = byte(bs.u(i, 1))
	}
	return out
}

func compareGoAIS(m *Message, p goais.Packet) (diffs []string, checked int) {
	check := func(field string, ours, theirs any) {
		checked++
		if a, ok := ours.(float64); ok {
			if b, ok := theirs.(float64); ok && math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) {
				return
			}
		}
		if ours != theirs {
			diffs = append(diffs, fmt.Sprintf("%s: ours %v, go-ais %v", field, ours, theirs))
		}
	}
	h := p.GetHeader()
	check("type", m.Type, h.MessageID)
	check("repeat", m.Repeat, h.RepeatIndicator)
	check("mmsi", m.MMSI, h.UserID)
	switch r := p.(type) {
	case goais.PositionReport:
		check("status", m.Status, r.NavigationalStatus)
		check("turn", int16(m.Turn), r.RateOfTurn)
		check("speed", float64(m.Speed)/10, float64(r.Sog))
		check("accuracy", m.Accuracy, r.PositionAccuracy)
		check("lon", float64(m.Lon)/600000, float64(r.Longitude))
		check("lat", float64(m.Lat)/600000, float64(r.Latitude))
		check("course", float64(m.Course)/10, float64(r.Cog))
		check("heading", m.Heading, r.TrueHeading)
		check("second", m.Second, r.Timestamp)
		check("maneuver", m.Maneuver, r.SpecialManoeuvreIndicator)
		check("raim", m.RAIM, r.Raim)
	case goais.BaseStationReport:
		check("year", m.Year, r.UtcYear)
		check("month", uint8(m.Month), r.UtcMonth)
		check("day", uint8(m.Day), r.UtcDay)
		check("hour", uint8(m.Hour), r.UtcHour)
		check("minute", uint8(m.Minute), r.UtcMinute)
		check("second", m.Second, r.UtcSecond)
		check("lon", float64(m.Lon)/600000, float64(r.Longitude))
		check("lat", float64(m.Lat)/600000, float64(r.Latitude))
		check("epfd", m.EPFD, r.FixType)
		check("raim", m.RAIM, r.Raim)
	case goais.StandardClassBPositionReport:
		check("speed", float64(m.Speed)/10, float64(r.Sog))
		check("accuracy", m.Accuracy, r.PositionAccuracy)
		check("lon", float64(m.Lon)/600000, float64(r.Longitude))
		check("lat", float64(m.Lat)/600000, float64(r.Latitude))
		check("course", float64(m.Course)/10, float64(r.Cog))
		check("heading", m.Heading, r.TrueHeading)
		check("second", m.Second, r.Timestamp)
		check("cs", m.CS, r.ClassBUnit)
		check("display", m.Display, r.ClassBDisplay)
		check("dsc", m.DSC, r.ClassBDsc)
		check("band", m.Band, r.ClassBBand)
		check("msg22", m.Msg22, r.ClassBMsg22)
		check("assigned", m.Assigned, r.AssignedMode)
		check("raim", m.RAIM, r.Raim)
	case goais.StaticDataReport:
		if m.Part == 0 {
			check("shipname", string(m.Shipname), r.ReportA.Name)
		} else {
			check("shiptype", m.ShipType, r.ReportB.ShipType)
			check("callsign", string(m.Callsign), r.ReportB.CallSign)
			check("to_bow", m.ToBow, r.ReportB.Dimension.A)
			check("to_stern", m.ToStern, r.ReportB.Dimension.B)
			check("to_port", m.ToPort, r.ReportB.Dimension.C)
			check("to_starboard", m.ToStarboard, r.ReportB.Dimension.D)
		}
	}
	return diffs, checked
}
