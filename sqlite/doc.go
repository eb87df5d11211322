// Package sqlite is the embedded store: it keeps a mission's observations, findings, API
// tokens and audit trail in one SQLite file, and implements truce.Store on it.
//
// # Durability
//
// The file is opened in write-ahead-log mode with synchronous=FULL: a transaction is
// acknowledged only after its WAL frames are fsynced, so a batch that Ingest accepted survives
// kill -9 and power loss, and a batch that was cut short leaves nothing behind (SQLite ignores
// WAL frames that no commit frame seals). All writes go through one connection, so they are
// serialised in this process and never wait on each other for SQLite's lock; reads use a pool
// of other connections, which WAL lets run beside the writer on the last committed snapshot.
//
// # Schema
//
// The schema is an ordered list of migrations (migrate.go). The versions applied are rows of
// schema_migrations; Open applies the missing ones in one transaction, and refuses a file
// whose schema is newer than this program knows, rather than guess at it.
//
//   - observations: seq INTEGER PRIMARY KEY is the table's own rowid and the Event sequence
//     number, so the feed's order is the order of commit. (source, id) is unique: Ingest uses
//     INSERT ... ON CONFLICT DO NOTHING and reads from the count of changed rows whether an
//     observation was a duplicate, including of one earlier in the same batch. Times are
//     unix nanoseconds, attrs and evidence JSON text, raw the bytes the report came from.
//   - findings: every field of truce.Finding, a unique id, and the seq of the observation it
//     was judged from; indexed on seq (for the feed), time, rule, party, zone and kind. The
//     time, kind and position of the observation are copied in, so no query on findings
//     needs a join. seq is a foreign key to observations, deferred: SQLite checks it once, at
//     commit, so a finding without its observation fails the whole batch.
//   - tokens: the SHA-256 of each secret (unique) and never the secret itself.
//   - audit: who did what, in the order it was recorded.
//
// # Pages
//
// Lists are in the order rows were stored (rowid order), a page at a time. A cursor is the
// base64url encoding of a tag naming the list and the rowid of the last row of the page, so a
// page costs a seek to that rowid whatever its depth, and rows stored while a client walks
// the list are reached in turn rather than shifting the pages. Filters are WHERE clauses; a
// kind family "fire.*" is the range of kinds from "fire." up to but excluding "fire/" (the
// byte after '.'), which an index serves.
//
// # Places
//
// A bounding box filters on the plain lat and lon columns of each row, tested as a page is
// walked in rowid order. An R*Tree (built into this SQLite) was measured against this on
// 100,000 observations (BenchmarkObservationsBBox, BenchmarkIngestWithRTree): for a box
// holding 0.25% of the points it found a page of 100 in 1.7 to 33 ms against 2.0 to 3.4 ms
// for the columns, for a box holding half of them in 31 to 53 ms against 1.2 to 6 ms (the
// R*Tree hands back every match in the box, which must then be sorted into rowid order), and
// keeping it up to date doubled the CPU time of each ingested observation (21 to 26 µs
// against 9 to 11 µs). The plain columns win on ingest and on the boxes a map asks for.
package sqlite
