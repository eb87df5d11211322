// Package maritime follows vessels through their position reports and finds what a
// ceasefire at sea is kept or broken by: military or unidentified vessels in exclusion and
// stand-off zones or close to the corridor's traffic, ships that go dark, meet at sea,
// loiter, or report positions no ship could reach.
//
// # Tracks
//
// Every sea.vessel observation belongs to a vessel: by MMSI for AIS, else by its source and
// track attribute (a coastal radar's track number). Each vessel keeps a ring of its last
// TrackLength positions, and at most MaxVessels vessels are kept: the one heard from least
// recently is forgotten first. A position no newer than the vessel's newest is ignored
// (late AIS relayed twice), so the detectors see each track in time order. The newest
// position of every vessel is also bucketed in a grid of 0.05° cells, so that the vessels
// near a point are found by looking in a few cells, not at every vessel.
//
// A vessel is military when its AIS ship type is 35 (military operations) or the
// observation says military=true (radar tracks identified by the mission). It is unknown
// when it has been tracked for UnknownAfter without any static data (no ship type, no
// name): AIS sends static data every six minutes, so every vessel starts without it.
//
// # Detectors
//
// Each position is judged as it arrives, against the vessel's previous position and the
// newest positions of the vessels near it:
//
//   - exclusion: a military or unknown vessel inside (or, within its position's
//     uncertainty, possibly inside) a zone of kind exclusion or standoff; once per stay, a
//     stay ending when the vessel has been out of the zone for PairPause.
//   - standoff: a military or unknown vessel within StandoffM of a vessel whose newest
//     position is in a corridor zone, the two positions at most PairMaxAge apart in time;
//     once per pair until they have been apart for PairPause.
//   - dark: a vessel heard again after GapMin or more of silence, when its last or its
//     next position is more than GapShoreM from shore. A silence near shore is more likely
//     a gap in receiver coverage than a transponder switched off.
//   - encounter: two vessels within EncounterM of each other, both under EncounterMaxKn,
//     more than EncounterAnchorageM from any anchorage, for EncounterMin or more, the pair
//     confirmed at least every PairPause; reported once the duration is reached, at the
//     mean position of the pair.
//   - loitering: a vessel under LoiterMaxKn for LoiterMin or more, every position more
//     than LoiterShoreM from shore; reported once the duration is reached.
//   - jump: consecutive positions further apart than JumpMinM that imply a speed over
//     JumpMaxKn. A single wrong position makes two jumps, there and back; when the position
//     after a jump is plausible from the one before it, the wrong position is dropped from
//     the track and only the first jump is reported.
//
// Speeds are the reported speed over ground when there is one, else the speed between the
// vessel's two last positions when they are a minute or more apart.
//
// # Distances
//
// Distances between vessels are great-circle distances on a sphere of the Earth's mean
// radius (haversine), within 0.5% of the ellipsoid's: the thresholds are rules of thumb
// with no legal edge to them. Zone containment is the geo engine's, exact on the ellipsoid,
// because zones are the agreement's own; the detector builds its engine over only the
// zones it looks at. The distance from shore is measured to coastlines held in an S2
// ShapeIndex with a closest-edge query (see Shore). The detectors only ever ask whether a
// position is beyond a threshold (20 nm for loitering, 50 nm for dark periods), which
// ShoreQuery.BeyondM answers from the remembered distance of the centre of a small cell
// around the position, since the distance from shore changes by no more than the distance
// moved; an exact query is needed only near a threshold. The benchmarks beside this file
// measure both, and the detectors' whole cost per position.
package maritime
