package sqlite

import (
	"context"
	"errors"
	"fmt"
)

// migration is one step of the schema. Versions start at 1 and follow each other without gaps;
// a migration, once released, is never edited: a change is a new migration.
type migration struct {
	version int
	name    string
	stmts   []string
}

// migrations is the schema, oldest first.
var migrations = []migration{
	{
		version: 1,
		name:    "observations, findings, tokens, audit",
		stmts: []string{
			`CREATE TABLE observations (
				seq      INTEGER PRIMARY KEY,
				source   TEXT    NOT NULL,
				id       TEXT    NOT NULL,
				time     INTEGER NOT NULL,
				kind     TEXT    NOT NULL,
				lat      REAL    NOT NULL,
				lon      REAL    NOT NULL,
				ce_m     REAL    NOT NULL,
				party    TEXT    NOT NULL,
				attrs    TEXT,
				evidence TEXT,
				raw      BLOB,
				UNIQUE (source, id)
			)`,
			`CREATE TABLE findings (
				pos         INTEGER PRIMARY KEY,
				id          TEXT    NOT NULL UNIQUE,
				seq         INTEGER NOT NULL REFERENCES observations (seq) DEFERRABLE INITIALLY DEFERRED,
				rule        TEXT    NOT NULL,
				article     TEXT    NOT NULL,
				title       TEXT    NOT NULL,
				observation TEXT    NOT NULL,
				source      TEXT    NOT NULL,
				kind        TEXT    NOT NULL,
				time        INTEGER NOT NULL,
				lat         REAL    NOT NULL,
				lon         REAL    NOT NULL,
				zone        TEXT    NOT NULL,
				party       TEXT    NOT NULL,
				attribution TEXT    NOT NULL,
				severity    TEXT    NOT NULL,
				confidence  REAL    NOT NULL,
				status      TEXT    NOT NULL,
				explanation TEXT    NOT NULL,
				agreement   TEXT    NOT NULL
			)`,
			// An index entry ends with the rowid, so each of these also serves "this value,
			// after this cursor, in rowid order" without a sort.
			`CREATE INDEX findings_seq ON findings (seq)`,
			`CREATE INDEX findings_time ON findings (time)`,
			`CREATE INDEX findings_rule ON findings (rule)`,
			`CREATE INDEX findings_party ON findings (party)`,
			`CREATE INDEX findings_zone ON findings (zone)`,
			`CREATE INDEX findings_kind ON findings (kind)`,
			`CREATE TABLE tokens (
				id          TEXT    PRIMARY KEY,
				name        TEXT    NOT NULL,
				role        TEXT    NOT NULL,
				party       TEXT    NOT NULL,
				created     INTEGER NOT NULL,
				revoked     INTEGER,
				secret_hash BLOB    NOT NULL UNIQUE
			)`,
			`CREATE TABLE audit (
				seq     INTEGER PRIMARY KEY,
				time    INTEGER NOT NULL,
				token   TEXT    NOT NULL,
				role    TEXT    NOT NULL,
				action  TEXT    NOT NULL,
				outcome TEXT    NOT NULL,
				detail  TEXT    NOT NULL,
				remote  TEXT    NOT NULL
			)`,
		},
	},
	{
		version: 2,
		name:    "sources",
		stmts: []string{
			// Every source that has reported: when first and last (by observation time) and
			// how many observations it has had stored. Kept up to date by Ingest.
			`CREATE TABLE sources (
				source       TEXT    PRIMARY KEY,
				first_time   INTEGER NOT NULL,
				last_time    INTEGER NOT NULL,
				observations INTEGER NOT NULL
			)`,
			`INSERT INTO sources (source, first_time, last_time, observations)
				SELECT source, MIN(time), MAX(time), COUNT(*) FROM observations GROUP BY source`,
		},
	},
	{
		version: 3,
		name:    "finding reviews",
		stmts: []string{
			`ALTER TABLE findings ADD COLUMN review TEXT NOT NULL DEFAULT 'detected'`,
			`CREATE INDEX findings_review ON findings (review)`,
			// Every review action, in the order taken: a finding's history.
			`CREATE TABLE finding_reviews (
				pos        INTEGER PRIMARY KEY,
				finding    TEXT    NOT NULL REFERENCES findings (id),
				time       INTEGER NOT NULL,
				actor      TEXT    NOT NULL,
				action     TEXT    NOT NULL,
				from_state TEXT    NOT NULL,
				to_state   TEXT    NOT NULL,
				reason     TEXT    NOT NULL
			)`,
			`CREATE INDEX finding_reviews_finding ON finding_reviews (finding, pos)`,
		},
	},
	{
		version: 4,
		name:    "finding locks",
		stmts: []string{
			// An analyst editing a finding holds it until locked_until (unix nanoseconds).
			`ALTER TABLE findings ADD COLUMN locked_by TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE findings ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0`,
		},
	},
	{
		version: 5,
		name:    "incidents",
		stmts: []string{
			// An incident as fusion last made it: the columns the lists filter on, and the
			// rest as JSON (body). pos is the order of first storing, the lists' order; lat
			// and lon are the position, or failing that the origin, NULL when neither is
			// located. digest is the SHA-256 of body and the member keys, which tells
			// whether a PutIncidents changed anything (and so whether version goes up).
			`CREATE TABLE incidents (
				pos        INTEGER PRIMARY KEY,
				id         TEXT    NOT NULL UNIQUE,
				kind       TEXT    NOT NULL,
				start_time INTEGER NOT NULL,
				end_time   INTEGER NOT NULL,
				lat        REAL,
				lon        REAL,
				party      TEXT    NOT NULL,
				open       INTEGER NOT NULL,
				version    INTEGER NOT NULL,
				updated    INTEGER NOT NULL,
				digest     BLOB    NOT NULL,
				body       TEXT    NOT NULL
			)`,
			`CREATE INDEX incidents_start ON incidents (start_time)`,
			`CREATE INDEX incidents_party ON incidents (party)`,
			`CREATE INDEX incidents_open ON incidents (open) WHERE open = 1`,
			// Each report belongs to at most one incident, at a place in its order.
			`CREATE TABLE incident_members (
				source   TEXT    NOT NULL,
				id       TEXT    NOT NULL,
				incident TEXT    NOT NULL,
				pos      INTEGER NOT NULL,
				PRIMARY KEY (source, id)
			) WITHOUT ROWID`,
			`CREATE INDEX incident_members_incident ON incident_members (incident, pos)`,
			// Every merge and split, in the order taken.
			`CREATE TABLE incident_actions (
				pos       INTEGER PRIMARY KEY,
				time      INTEGER NOT NULL,
				actor     TEXT    NOT NULL,
				action    TEXT    NOT NULL,
				incidents TEXT    NOT NULL,
				result    TEXT    NOT NULL,
				members   TEXT    NOT NULL,
				reason    TEXT    NOT NULL
			)`,
			// Where fusion has read the events up to.
			`CREATE TABLE fusion_state (
				name  TEXT    PRIMARY KEY,
				value INTEGER NOT NULL
			)`,
		},
	},
	{
		version: 6,
		name:    "published reports; indexes of the mission's own records",
		stmts: []string{
			// Reports select the mission's own records of a period (restrictions of movement,
			// damage) by kind family. They are few, so partial indexes serve them at almost no
			// cost to ingest, where an index on every observation's kind and time costs about
			// a tenth more CPU an observation (BenchmarkIngest). The conditions must be written
			// as where.kind writes them for these families.
			`CREATE INDEX observations_access ON observations (time) WHERE kind >= 'access.' AND kind < 'access/'`,
			`CREATE INDEX observations_damage ON observations (time) WHERE kind >= 'damage.' AND kind < 'damage/'`,
			// Every publication of a report, byte for byte; the highest version is served.
			`CREATE TABLE reports (
				kind      TEXT    NOT NULL,
				name      TEXT    NOT NULL,
				version   INTEGER NOT NULL,
				published INTEGER NOT NULL,
				actor     TEXT    NOT NULL,
				json      BLOB    NOT NULL,
				html      BLOB    NOT NULL,
				PRIMARY KEY (kind, name, version)
			)`,
		},
	},
	{
		version: 7,
		name:    "liaison channel and open data",
		stmts: []string{
			// Every notice made, in order: what liaisons and webhooks are told. A notice is
			// written in the transaction of the change that makes it.
			`CREATE TABLE notices (
				seq     INTEGER PRIMARY KEY,
				id      TEXT    NOT NULL UNIQUE,
				time    INTEGER NOT NULL,
				kind    TEXT    NOT NULL,
				party   TEXT    NOT NULL,
				public  INTEGER NOT NULL,
				finding TEXT    NOT NULL,
				body    TEXT    NOT NULL
			)`,
			`CREATE TABLE webhooks (
				id      TEXT    PRIMARY KEY,
				url     TEXT    NOT NULL,
				party   TEXT    NOT NULL,
				secret  TEXT    NOT NULL,
				created INTEGER NOT NULL,
				deleted INTEGER
			)`,
			// The outbox: one row per notice and webhook that receives it, queued with the
			// notice, until the receiver accepts it (delivered is then set).
			`CREATE TABLE webhook_deliveries (
				id         TEXT    PRIMARY KEY,
				webhook    TEXT    NOT NULL REFERENCES webhooks (id),
				notice     INTEGER NOT NULL REFERENCES notices (seq),
				attempts   INTEGER NOT NULL DEFAULT 0,
				due        INTEGER NOT NULL,
				delivered  INTEGER,
				last_error TEXT    NOT NULL DEFAULT ''
			)`,
			`CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due) WHERE delivered IS NULL`,
			// A party's responses to findings and where the mission's handling of each stands.
			`CREATE TABLE responses (
				pos             INTEGER PRIMARY KEY,
				id              TEXT    NOT NULL UNIQUE,
				finding         TEXT    NOT NULL REFERENCES findings (id),
				party           TEXT    NOT NULL,
				actor           TEXT    NOT NULL,
				action          TEXT    NOT NULL,
				statement       TEXT    NOT NULL,
				time            INTEGER NOT NULL,
				state           TEXT    NOT NULL,
				deadline        INTEGER,
				answer          TEXT    NOT NULL DEFAULT '',
				answered_by     TEXT    NOT NULL DEFAULT '',
				answered_at     INTEGER,
				overdue_noticed INTEGER NOT NULL DEFAULT 0
			)`,
			`CREATE INDEX responses_finding ON responses (finding, pos)`,
			`CREATE INDEX responses_state ON responses (state, deadline)`,
			`CREATE TABLE response_history (
				pos        INTEGER PRIMARY KEY,
				response   TEXT    NOT NULL REFERENCES responses (id),
				time       INTEGER NOT NULL,
				actor      TEXT    NOT NULL,
				role       TEXT    NOT NULL,
				action     TEXT    NOT NULL,
				from_state TEXT    NOT NULL,
				to_state   TEXT    NOT NULL,
				text       TEXT    NOT NULL,
				deadline   INTEGER
			)`,
			`CREATE INDEX response_history_response ON response_history (response, pos)`,
			// Open data: a finding's public version (one more at each review decision) and
			// when it last changed, and the feed of changes to the published set. Change
			// times strictly increase; record is the published finding as JSON (NULL for a
			// withdrawal, and for the changes below, made before records were kept, which
			// are read from the finding).
			`ALTER TABLE findings ADD COLUMN version INTEGER NOT NULL DEFAULT 0`,
			`ALTER TABLE findings ADD COLUMN updated INTEGER NOT NULL DEFAULT 0`,
			`UPDATE findings SET
				version = (SELECT COUNT(*) FROM finding_reviews r WHERE r.finding = findings.id),
				updated = (SELECT COALESCE(MAX(time), 0) FROM finding_reviews r WHERE r.finding = findings.id)
				WHERE id IN (SELECT finding FROM finding_reviews)`,
			`CREATE TABLE open_changes (
				seq     INTEGER PRIMARY KEY,
				time    INTEGER NOT NULL,
				finding TEXT    NOT NULL,
				version INTEGER NOT NULL,
				change  TEXT    NOT NULL,
				record  TEXT
			)`,
			`INSERT INTO open_changes (time, finding, version, change)
				SELECT updated, id, version, 'published' FROM findings WHERE review = 'verified' ORDER BY updated, pos`,
			`CREATE INDEX open_changes_time ON open_changes (time)`,
		},
	},
	{
		version: 8,
		name:    "incident member counts",
		stmts: []string{
			// How many members an incident had when last stored, and the SHA-256 of their keys
			// in order: a PutIncidents whose first members are those writes only the rest.
			`ALTER TABLE incidents ADD COLUMN members INTEGER NOT NULL DEFAULT 0`,
			`ALTER TABLE incidents ADD COLUMN members_digest BLOB`,
		},
	},
	{
		version: 9,
		name:    "open incident changes",
		stmts: []string{
			// What the open data last said of each incident it has told of: the version, and
			// whether it is published. Kept when the incident is merged away, so that the id,
			// used again by a split, goes on from that version.
			`CREATE TABLE open_incidents (
				id      TEXT    PRIMARY KEY,
				version INTEGER NOT NULL,
				public  INTEGER NOT NULL
			)`,
			// The feed of changes to the published incidents, on the clock of open_changes;
			// record is the published incident as JSON (NULL for a withdrawal, and for the
			// changes below, of incidents published before the feed was, which are read from
			// the incident).
			`CREATE TABLE open_incident_changes (
				seq      INTEGER PRIMARY KEY,
				time     INTEGER NOT NULL,
				incident TEXT    NOT NULL,
				version  INTEGER NOT NULL,
				change   TEXT    NOT NULL,
				record   TEXT
			)`,
			`CREATE INDEX open_incident_changes_time ON open_incident_changes (time)`,
			// The incidents published already, those with a verified finding (of a member, or
			// of the incident's own report of located fire), each at a time of its own.
			`INSERT INTO open_incidents (id, version, public)
				SELECT id, version, 1 FROM incidents
				WHERE EXISTS (SELECT 1 FROM incident_members m JOIN observations o ON o.source = m.source AND o.id = m.id
						JOIN findings f ON f.seq = o.seq WHERE m.incident = incidents.id AND f.review = 'verified')
					OR EXISTS (SELECT 1 FROM observations o JOIN findings f ON f.seq = o.seq
						WHERE o.source = 'fusion' AND o.id = incidents.id AND f.review = 'verified')`,
			`INSERT INTO open_incident_changes (time, incident, version, change)
				SELECT MAX(i.updated, (SELECT COALESCE(MAX(time), 0) FROM open_changes)) + ROW_NUMBER() OVER (ORDER BY i.updated, i.pos),
					i.id, i.version, 'published'
				FROM incidents i JOIN open_incidents p ON p.id = i.id ORDER BY i.updated, i.pos`,
		},
	},
}

// ErrSchemaTooNew is the cause of Open's error for a file written by a newer version of truce.
var ErrSchemaTooNew = errors.New("the database was written by a newer version of truce")

// migrate brings the schema up to the last of ms in one transaction: either every missing
// migration is applied or none is.
func (db *DB) migrate(ctx context.Context, ms []migration) error {
	for i, m := range ms {
		if m.version != i+1 {
			return fmt.Errorf("sqlite: migration %q has version %d, want %d", m.name, m.version, i+1)
		}
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", db.path, err)
	}
	defer tx.Rollback()

	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name    TEXT    NOT NULL,
		applied INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("sqlite: %s: create schema_migrations: %w", db.path, err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("sqlite: %s: read schema version: %w", db.path, err)
	}
	if current > len(ms) {
		return fmt.Errorf("sqlite: %s is at schema version %d and this truce knows versions up to %d: %w; upgrade truce to open it",
			db.path, current, len(ms), ErrSchemaTooNew)
	}
	for _, m := range ms[current:] {
		for _, stmt := range m.stmts {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("sqlite: %s: migration %d (%s): %w", db.path, m.version, m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`,
			m.version, m.name, db.now().UnixNano()); err != nil {
			return fmt.Errorf("sqlite: %s: record migration %d: %w", db.path, m.version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: %s: commit migrations: %w", db.path, err)
	}
	return nil
}
