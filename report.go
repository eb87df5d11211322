package truce

import "time"

// Report kinds the mission publishes.
const (
	// ReportDaily is the daily report: one for each reporting day, named by its date.
	ReportDaily = "daily"
)

// PublishedReport is a report as the mission published it: the JSON that is its source and
// the HTML rendered from it, kept byte for byte. A report may be published again (a
// correction); each publication is a new version and the latest is the one served.
type PublishedReport struct {
	Kind string `json:"kind"`
	// Name identifies the report within its kind: the date (YYYY-MM-DD) of a daily report.
	Name      string    `json:"name"`
	Version   int       `json:"version"`
	Published time.Time `json:"published"`
	// By is the token id of the analyst who published it.
	By   string `json:"by"`
	JSON []byte `json:"-"`
	HTML []byte `json:"-"`
}
