// Package examples carries the example agreements inside the binary, so that
// `truce serve --demo` works wherever the binary is run.
package examples

import (
	"embed"
	"io/fs"
)

//go:embed notional-east cyprus
var files embed.FS

// Agreement returns the folder of the named example ("notional-east", "cyprus").
func Agreement(name string) (fs.FS, error) {
	if _, err := fs.Stat(files, name+"/agreement.yaml"); err != nil {
		return nil, err
	}
	return fs.Sub(files, name)
}
