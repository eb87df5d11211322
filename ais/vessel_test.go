package ais

import (
	"testing"
	"time"

	"github.com/truce-project/truce"
)

func TestPositionReportBecomesObservation(t *testing.T) {
	received := time.Date(2026, 11, 29, 1, 2, 3, 456789000, time.UTC)
	tests := []struct {
		name     string
		kind     string
		lines    []string
		source   string
		time     time.Time
		id       string
		attrs    map[string]any
		noAttrs  []string
		received time.Time
	}{
		{
			name:   "class A report with the receiver's time and the default source",
			kind:   "sea.vessel",
			lines:  []string{type1},
			source: "receiver-1", time: received.Truncate(time.Millisecond),
			id:       "ais:371798000:1795914123456",
			attrs:    map[string]any{"mmsi": 371798000.0, "speed": 12.3, "course": 224.0, "heading": 215.0, "nav_status": 0.0, "nav_status_text": "Under way using engine", "class": "A"},
			noAttrs:  []string{"ship_name", "ship_type"},
			received: received,
		},
		{
			name:   "tag block source and time win over the defaults",
			kind:   "sea.vessel",
			lines:  []string{`\s:r003669945,c:1241544035*79\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A`},
			source: "r003669945", time: time.Unix(1241544035, 0).UTC(),
			id:       "ais:371798000:1241544035000",
			attrs:    map[string]any{"mmsi": 371798000.0},
			received: received,
		},
		{
			name: "static data heard first names the vessel",
			kind: "sea.vessel",
			// gpsd's sample: type 5 and a class B type 24 A+B of other vessels, then a
			// class A report from the type 5's MMSI (EVER DIADEM, 351759000).
			lines: []string{type5a1, type5a2,
				"!AIVDM,1,1,,A,H42O55i18tMET00000000000000,2*6D",
				"!AIVDM,1,1,,A,H42O55lti4hhhilD3nink000?050,0*40",
				"!AIVDM,1,1,,B,15?MbV0PAso;90TKcjM8h6g208CQ,0*" + sum("AIVDM,1,1,,B,15?MbV0PAso;90TKcjM8h6g208CQ,0")},
			source: "receiver-1", time: received.Truncate(time.Millisecond),
			id:       "ais:351759000:1795914123456",
			attrs:    map[string]any{"ship_name": "EVER DIADEM", "ship_type": 70.0, "ship_type_text": "Cargo - all ships of this type", "callsign": "3FOF8", "imo": 9134270.0},
			received: received,
		},
		{
			name:   "SAR aircraft report is an aircraft with its altitude",
			kind:   "air.aircraft",
			lines:  []string{"!AIVDM,1,1,,B,91b55wi;hbOS@OdQAC062Ch2089h,0*30"},
			source: "receiver-1", time: received.Truncate(time.Millisecond),
			id:       "ais:111232511:1795914123456",
			attrs:    map[string]any{"alt_m": 303.0, "speed": 42.0, "course": 154.5},
			noAttrs:  []string{"class", "heading"},
			received: received,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Decoder{}
			v := &Vessels{DefaultSource: "receiver-1"}
			var obs []truce.Observation
			for i, l := range tt.lines {
				m, err := d.Decode(int64(i+1), []byte(l))
				if err != nil {
					t.Fatalf("line %d: %v", i+1, err)
				}
				if m == nil {
					continue
				}
				if o, ok := v.Observe(m, tt.received); ok {
					obs = append(obs, o)
				}
			}
			if len(obs) != 1 {
				t.Fatalf("got %d observations, want 1", len(obs))
			}
			ob := obs[0]
			if err := ob.Validate(); err != nil {
				t.Errorf("observation does not validate: %v", err)
			}
			if ob.Kind != tt.kind || ob.Source != tt.source || !ob.Time.Equal(tt.time) || ob.ID != tt.id {
				t.Errorf("got kind %q source %q time %v id %q, want %q %q %v %q", ob.Kind, ob.Source, ob.Time, ob.ID, tt.kind, tt.source, tt.time, tt.id)
			}
			for k, want := range tt.attrs {
				if ob.Attrs[k] != want {
					t.Errorf("attrs[%q] = %#v, want %#v", k, ob.Attrs[k], want)
				}
			}
			for _, k := range tt.noAttrs {
				if v, ok := ob.Attrs[k]; ok {
					t.Errorf("attrs[%q] = %v, want absent", k, v)
				}
			}
		})
	}
}

func TestStaticCacheForgetsOldestPastCapacity(t *testing.T) {
	d := &Decoder{}
	v := &Vessels{Capacity: 2}
	parts := []string{
		"!AIVDM,1,1,,A,H42O55i18tMET00000000000000,2*6D", // 271041815
		"!AIVDM,1,1,,A,H42O3qiA8U10Tp0000000000000,2*37", // 271041511
		"!AIVDM,1,1,,A,H42O0U0Lu`@Dno4000000000000,2*18", // 271040660
	}
	for i, l := range parts {
		m, err := d.Decode(int64(i+1), []byte(l))
		if err != nil || m == nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		v.Observe(m, time.Now())
	}
	if v.StaticCount() != 2 {
		t.Errorf("StaticCount() = %d, want 2", v.StaticCount())
	}
	if v.static[271041815] != nil {
		t.Error("the first vessel heard of is still remembered")
	}
	if st := v.static[271040660]; st == nil || st.name != "GOZDEM-1" {
		t.Errorf("the last vessel heard of is %+v, want GOZDEM-1", st)
	}
}
