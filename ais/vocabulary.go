package ais

import "strconv"

// The controlled vocabularies of the standard, worded as gpsd words them in its "_text"
// fields so that tools reading gpsd's JSON read ours the same way.

var navStatus = [16]string{
	"Under way using engine",
	"At anchor",
	"Not under command",
	"Restricted maneuverability",
	"Constrained by her draught",
	"Moored",
	"Aground",
	"Engaged in fishing",
	"Under way sailing",
	"Reserved for HSC",
	"Reserved for WIG",
	"Power-driven vessel towing astern",
	"Power-driven vessel pushing ahead or towing alongside",
	"Reserved",
	"AIS-SART is active",
	"Not defined",
}

func statusText(s uint8) string { return navStatus[s&15] }

var epfdNames = [16]string{
	"Undefined", "GPS", "GLONASS", "Combined GPS/GLONASS", "Loran-C", "Chayka",
	"Integrated navigation system", "Surveyed", "Galileo",
	"Reserved (9)", "Reserved (10)", "Reserved (11)", "Reserved (12)", "Reserved (13)", "Reserved (14)",
	"Internal GNSS",
}

func epfdText(e uint8) string { return epfdNames[e&15] }

// shipTypes is built once: most codes are a family (tens digit) and a category (units digit).
var shipTypes = func() (t [256]string) {
	for i := range t {
		t[i] = "Unknown"
	}
	t[0] = "Not available"
	for i := 1; i < 20; i++ {
		t[i] = "Reserved for future use"
	}
	family := func(base int, name string, last string) {
		t[base] = name + " - all ships of this type"
		for k, c := range "ABCD" {
			t[base+1+k] = name + " - Hazardous category " + string(c)
		}
		for i := base + 5; i < base+9; i++ {
			t[i] = name + " - Reserved for future use"
		}
		t[base+9] = name + " - " + last
	}
	family(20, "Wing in ground (WIG)", "Reserved for future use")
	family(40, "High speed craft (HSC)", "No additional information")
	family(60, "Passenger", "No additional information")
	family(70, "Cargo", "No additional information")
	family(80, "Tanker", "No additional information")
	family(90, "Other Type", "no additional information")
	for i, s := range []string{
		"Fishing", "Towing", "Towing: length exceeds 200m or breadth exceeds 25m",
		"Dredging or underwater ops", "Diving ops", "Military ops", "Sailing", "Pleasure Craft",
		"Reserved", "Reserved",
		"", "", "", "", "", "", "", "", "", "",
		"Pilot Vessel", "Search and Rescue vessel", "Tug", "Port Tender",
		"Anti-pollution equipment", "Law Enforcement", "Spare - Local Vessel",
		"Spare - Local Vessel", "Medical Transport", "Ship according to RR Resolution No. 18",
	} {
		if s != "" {
			t[30+i] = s
		}
	}
	return t
}()

func shipTypeText(s uint8) string { return shipTypes[s] }

var aidTypes = [32]string{
	"Unspecified", "Reference point", "RACON", "Fixed offshore structure", "Spare, Reserved for future use",
	"Light, without sectors", "Light, with sectors", "Leading Light Front", "Leading Light Rear",
	"Beacon, Cardinal N", "Beacon, Cardinal E", "Beacon, Cardinal S", "Beacon, Cardinal W",
	"Beacon, Port hand", "Beacon, Starboard hand", "Beacon, Preferred Channel port hand",
	"Beacon, Preferred Channel starboard hand", "Beacon, Isolated danger", "Beacon, Safe water",
	"Beacon, Special mark", "Cardinal Mark N", "Cardinal Mark E", "Cardinal Mark S",
	"Cardinal Mark W", "Port hand Mark", "Starboard hand Mark", "Preferred Channel Port hand",
	"Preferred Channel Starboard hand", "Isolated danger", "Safe Water", "Special Mark",
	"Light Vessel / LANBY / Rigs",
}

func aidTypeText(a uint8) string { return aidTypes[a&31] }

var stationTypes = [16]string{
	"All types of mobiles", "Reserved for future use", "All types of Class B mobile stations",
	"SAR airborne mobile station", "Aid to Navigation station",
	"Class B shipborne mobile station (IEC62287 only)",
	"Regional use and inland waterways", "Regional use and inland waterways",
	"Regional use and inland waterways", "Regional use and inland waterways",
	"Reserved for future use", "Reserved for future use", "Reserved for future use",
	"Reserved for future use", "Reserved for future use", "Reserved for future use",
}

func stationTypeText(s uint8) string { return stationTypes[s&15] }

// TypeName names a message type as the standard does.
func TypeName(t uint8) string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "type " + strconv.Itoa(int(t))
}

var typeNames = [...]string{
	1: "Position Report Class A", 2: "Position Report Class A (Assigned schedule)",
	3: "Position Report Class A (Response to interrogation)", 4: "Base Station Report",
	5: "Static and Voyage Related Data", 6: "Binary Addressed Message", 7: "Binary Acknowledge",
	8: "Binary Broadcast Message", 9: "Standard SAR Aircraft Position Report",
	10: "UTC and Date Inquiry", 11: "UTC and Date Response", 12: "Addressed Safety Related Message",
	13: "Safety Related Acknowledgement", 14: "Safety Related Broadcast Message", 15: "Interrogation",
	16: "Assignment Mode Command", 17: "DGNSS Binary Broadcast Message",
	18: "Standard Class B CS Position Report", 19: "Extended Class B Equipment Position Report",
	20: "Data Link Management", 21: "Aid-to-Navigation Report", 22: "Channel Management",
	23: "Group Assignment Command", 24: "Static Data Report", 25: "Single Slot Binary Message",
	26: "Multiple Slot Binary Message With Communications State",
	27: "Position Report For Long-Range Applications",
}
