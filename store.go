package truce

import (
	"context"
	"time"
)

// Judged is an observation together with the findings the rules drew from it: the unit the
// pipeline hands to the store.
type Judged struct {
	Observation *Observation
	Findings    []Finding
	// AttrsJSON is the observation's attrs as the store keeps them (ObservationJSON),
	// written before the batch reaches the single writer (EncodeAttrs), so that the writer
	// does not, and the log's record embeds the same bytes; nil when not written, and then
	// the store writes them.
	AttrsJSON []byte
	// Prepared is what the store's hook prepared for this observation before the batch
	// reached the single writer (the log's records, built in parallel), or nil.
	Prepared any
}

// Event is one stored observation and its findings, numbered in the order the store made them
// durable. Seq is the resume point of the live feed (/events' Last-Event-ID).
type Event struct {
	Seq         int64        `json:"seq"`
	Observation *Observation `json:"observation"`
	Findings    []Finding    `json:"findings,omitempty"`
	// Prepared is the Judged's Prepared, handed to the store's hook; nil once stored.
	Prepared any `json:"-"`
}

// ObservationFilter selects observations. Zero fields do not filter.
type ObservationFilter struct {
	From, To time.Time // observation time, From inclusive, To exclusive
	BBox     *BBox
	Kind     string // a kind or family ("fire.*")
	Source   string
	Party    string
	Limit    int    // at most this many (the store caps it)
	Cursor   string // from a previous page's Next
}

// ObservationKey names one stored observation: its source and its id within the source.
type ObservationKey struct {
	Source, ID string
}

// FindingFilter selects findings. Zero fields do not filter.
type FindingFilter struct {
	From, To time.Time // observation time, From inclusive, To exclusive
	BBox     *BBox
	Kind     string // a kind or family ("fire.*")
	Rule     string
	Party    string // the attributed party
	Zone     string
	Status   string // inside or possible
	Review   string // detected, under_review, verified or dismissed
	Limit    int
	Cursor   string
}

// Source is a monitor, sensor or feed as the store knows it from what it reported.
type Source struct {
	Name         string    `json:"source"`
	First        time.Time `json:"first"`
	Last         time.Time `json:"last"`
	Observations int64     `json:"observations"`
}

// BBox is a box in degrees.
type BBox struct {
	MinLon, MinLat, MaxLon, MaxLat float64
}

// Contains reports whether the point is in the box (edges included).
func (b *BBox) Contains(lat, lon float64) bool {
	return lat >= b.MinLat && lat <= b.MaxLat && lon >= b.MinLon && lon <= b.MaxLon
}

// Store keeps observations, findings, tokens and the audit trail. Implementations: package
// sqlite (the default, embedded) and, for larger deployments, postgres.
type Store interface {
	// Ingest makes a batch durable in one transaction: when it returns nil every observation
	// and finding of the batch is stored, and when it returns an error none is. An
	// observation whose (Source, ID) is already stored is a duplicate: it is not stored again
	// and its findings are dropped, so nothing is judged twice. dup[i] reports whether
	// batch[i] was a duplicate; seq[i] is the Event sequence number of a stored one (0 for a
	// duplicate). Errors: EINTERNAL.
	Ingest(ctx context.Context, batch []Judged) (dup []bool, seq []int64, err error)

	// Observations lists observations in the order they were stored, a page at a time;
	// next is the cursor of the following page, "" after the last.
	Observations(ctx context.Context, f ObservationFilter) (obs []Observation, next string, err error)

	// ObservationsByKey returns the stored observations with these keys, in the order of
	// keys, leaving out keys not stored. Errors: EINTERNAL.
	ObservationsByKey(ctx context.Context, keys []ObservationKey) ([]Observation, error)

	// Findings lists findings in the order they were stored, a page at a time. Errors:
	// EINVALID for a malformed cursor.
	Findings(ctx context.Context, f FindingFilter) (findings []Finding, next string, err error)

	// Finding returns one finding. Errors: ENOTFOUND.
	Finding(ctx context.Context, id string) (*Finding, error)

	// Review applies an analyst's review action to a finding as NextReview decides, keeps the
	// action in the finding's history, and returns the finding as it now stands. required is
	// how many different analysts must approve before it is verified. Errors: ENOTFOUND,
	// EINVALID, ECONFLICT (see NextReview, and while another analyst holds the lock).
	Review(ctx context.Context, findingID, action, actor, reason string, required int) (*Finding, error)

	// Lock holds a finding for an analyst until a time (one in the past releases it), so that
	// no other analyst reviews it meanwhile. Errors: ENOTFOUND; ECONFLICT while another holds it.
	Lock(ctx context.Context, findingID, actor string, until time.Time) error

	// ReviewHistory lists a finding's review actions, oldest first. Errors: ENOTFOUND.
	ReviewHistory(ctx context.Context, findingID string) ([]ReviewEntry, error)

	// Events returns up to limit events with Seq > after, in order, for the live feed to
	// catch up from. Errors: EINTERNAL.
	Events(ctx context.Context, after int64, limit int) ([]Event, error)

	// Sources lists every source that has had observations stored: when it first and last
	// reported (by observation time) and how many of its observations are stored.
	Sources(ctx context.Context) ([]Source, error)

	// LastSeq is the sequence number of the newest event, 0 when there is none.
	LastSeq(ctx context.Context) (int64, error)

	// CreateToken stores t (its ID and Created are set here) and returns the secret, which is
	// not stored: only its hash is. Errors: EINVALID.
	CreateToken(ctx context.Context, t *Token) (secret string, err error)

	// Authenticate returns the live token whose secret this is. Errors: EUNAUTHORIZED for an
	// unknown or revoked secret.
	Authenticate(ctx context.Context, secret string) (*Token, error)

	// Tokens lists every token, revoked ones included.
	Tokens(ctx context.Context) ([]Token, error)

	// RevokeToken revokes a token. Errors: ENOTFOUND.
	RevokeToken(ctx context.Context, id string) error

	// Audit appends an entry to the audit trail.
	Audit(ctx context.Context, e AuditEntry) error

	// AuditLog lists the newest entries first, up to limit.
	AuditLog(ctx context.Context, limit int) ([]AuditEntry, error)

	// PublishReport keeps r as the next version of its report (Version and Published are set
	// here, Published from the store's clock) and returns the version. Errors: EINVALID.
	PublishReport(ctx context.Context, r *PublishedReport) (version int, err error)

	// PublishedReport returns the latest published version of a report. Errors: ENOTFOUND
	// before it is first published.
	PublishedReport(ctx context.Context, kind, name string) (*PublishedReport, error)

	LiaisonStore
	WebhookStore
	OpenDataStore

	Close() error
}
