package maritime

import (
	_ "embed"
	"sync"
)

// blackSeaCoast is the Natural Earth 1:10m coastline of the Black Sea and the Sea of Azov
// (public domain; see testdata/PROVENANCE), carried in the binary so that a server watching
// the Black Sea, such as the notional-east demonstration, needs no coastline file.
//
//go:embed testdata/BlackSea_coastline_ne10m.geojson
var blackSeaCoast []byte

var (
	blackSeaOnce  sync.Once
	blackSeaShore *Shore
	blackSeaErr   error
)

// BlackSea returns the shore index of the Black Sea and the Sea of Azov, built on first use
// and shared (a Shore is safe for concurrent use).
func BlackSea() (*Shore, error) {
	blackSeaOnce.Do(func() { blackSeaShore, blackSeaErr = ReadShoreGeoJSON(blackSeaCoast) })
	return blackSeaShore, blackSeaErr
}
