// Package ledger keeps the mission's tamper-evident record: an append-only Merkle log of
// every observation the mission accepted and every decision it took, checkpoints of it signed
// with the mission's key, and the proofs that let each party check, offline, that a record is
// in the log and that the log it sees today extends the log it saw before.
//
// # Records and their canonical encoding
//
// A Record has a kind ("observation", "finding", "decision" for a review decision,
// "response" for a step of the liaison channel: a party's response to a finding or the
// mission's answer to it, "incident" for an analyst's merge or split of incidents), an id, the
// time the mission accepted or decided it, the SHA-256 hashes of its evidence, and a JSON body
// (the observation, finding, review entry, response entry or incident action itself). The log commits to one byte string per record, its canonical encoding:
// a single line of JSON with the keys in this order and nothing else,
//
//	{"kind":K,"id":I,"time":T,"evidence":[E,...],"body":B}
//
// where K and I are JSON strings in which only the quote, the backslash and the control
// characters below U+0020 are escaped (as \" \\ \n \r \t or \u00xx, lowercase hex) and every
// other character is written as itself in UTF-8; T is the time in UTC in RFC 3339 form with
// the fraction of a second written only as far as its last non-zero digit
// ("2026-11-28T09:15:00.5Z"); each E is a lowercase hex SHA-256, and "evidence" is left out
// when there is none; and B is the body with the white space between JSON tokens removed (the
// bytes inside its strings are kept as they are). Such a line holds no newline byte, so an
// export can list records one per line. ParseRecord accepts only this form.
//
// An analyst's merge or split of incidents is a record of kind "incident" (IncidentRecord):
// its id is "RESULT/ACTION/TIME", its time the time of the action, and its body the
// truce.IncidentAction as encoding/json writes it, keys in this order:
//
//	{"time":T,"actor":A,"action":"merge"|"split","incidents":[I,...],"result":R,"members":[M,...],"reason":S}
//
// where "incidents" are the incidents merged or the one split, "result" the merged incident or
// the one split off, and "members" (left out for a merge) the reports split off as
// "source/id". encoding/json escapes <, > and & in strings as \u003c, \u003e and \u0026, and
// the body keeps those bytes.
//
// # The tree
//
// The log is the Merkle tree of RFC 6962 (section 2.1), as golang.org/x/mod/sumdb/tlog
// computes it: record i's leaf hash is SHA-256(0x00 || canonical encoding), an interior node's
// hash is SHA-256(0x01 || left || right), and a tree of n records splits at the largest power
// of two below n. An inclusion proof for record i in a tree of n records is the list of
// sibling hashes on the path from the leaf to the root; a consistency proof from size m to
// size n is the list of subtree hashes from which both roots can be computed, which shows
// that the first m records did not change. Both are O(log n) hashes.
//
// # Storage
//
// The log lives in the same database as the records it logs, in three tables (CreateSchema):
// ledger_entries (idx, n, data: records idx to idx+n-1, each canonical encoding followed by a
// newline, as in an export's records.ndjson; up to 128 records and 8,000 bytes a row, because
// a row per record cost the single writer more than everything else the log does),
// ledger_hashes (idx, hashes: tlog's stored hashes, every complete subtree's hash, about two
// per record, keyed by tlog.StoredHashIndex and kept 120 consecutive hashes a row, the row of
// key k holding those from index k) and ledger_checkpoints (size, note). A log written with a
// row per record (ledger_records) is moved into ledger_entries when CreateSchema first sees
// it. Append writes a batch of records and their stored hashes through the caller's *sql.Tx,
// so that an observation and its log entry are committed together or not at all; a caller
// with a single writer encodes and hashes the records before they reach it (Record.Encode,
// AppendEncoded). Proofs and tree hashes read only the O(log n) stored hashes they need, with
// one query each. The SQL is plain and runs on SQLite and PostgreSQL.
//
// # Records kept as references
//
// An observation's record, and a finding's, need not be stored twice: the store keeps the
// observation (or finding) in a row of its own, committed in the same transaction. In place
// of such a record a line of ledger_entries may hold a reference to the row, "@observation
// SEQ AT" (the store's seq, the record's time in nanoseconds since 1970) or "@finding AT ID"
// (Encoded.StoredAs, ObservationRef, FindingRef); a line that begins with '{' is a record,
// any other is a reference. Whoever reads the records (Entries, Entry, Export) passes a
// Resolver that builds each referenced record again from its row; the server's reads the
// store's tables. The leaf hash in the tree is always of the whole record, computed before it
// was stored, so an export holds the records themselves and Verify needs nothing else; and a
// row changed after it was logged reads back as a record the tree does not hold, which Verify
// names like any other altered record. A row deleted is a record missing. This is what makes
// the log cheap for the store's single writer: a reference is 40 to 60 bytes where the
// record is hundreds.
//
// # Observation and finding bodies
//
// For that, the bodies of observations and findings are written by this package, field by
// field, not by encoding/json. An observation's body is
//
//	{"id":S,"source":S,"time":T,"kind":S,"lat":N,"lon":N,"ce_m":N,"party":S,"attrs":A,"evidence":[S,...]}
//
// and a finding's
//
//	{"id":S,"rule":S,"article":S,"title":S,"observation":S,"source":S,"kind":S,"time":T,"lat":N,"lon":N,"zone":S,"party":S,"attribution":S,"severity":S,"confidence":N,"status":S,"explanation":S,"agreement":S}
//
// where each S is a string written as the record's id is, T a time as the record's time is, N
// the shortest decimal that reads back as the same float64 in strconv's 'g' form ("33.5",
// "1e-07"), zero written 0 whatever its sign, and A the observation's attrs as the store keeps
// them (truce.ObservationJSON: keys sorted, flat values written as above, anything else as
// encoding/json writes it, which escapes <, > and & in strings). Members that are empty or
// zero are left out as encoding/json leaves them out of truce.Observation and truce.Finding
// (an observation's source, ce_m, party, attrs and evidence; a finding's title, source, zone,
// party and attribution), so either body reads back, with encoding/json, as the observation
// or finding. A finding's review is not in its body: it changes after the finding is logged,
// and each review decision is a record of its own. Records logged before bodies were written
// this way were encoding/json's; they are kept as they were, whole.
//
// # Checkpoints, keys and witnesses
//
// A checkpoint is a note in the C2SP tlog-checkpoint format: the log's origin, its size in
// decimal and its root hash in base64, one per line, signed with the mission's Ed25519 key
// in the signed-note format of golang.org/x/mod/sumdb/note. The key's name is the origin. The
// key is generated on first start into the data folder as log.key (mode 0600) and its
// verifier key, "name+hash+base64", as log.pub, which is what the parties are given.
//
// A Witness is a party's own check on the mission: it keeps the last checkpoint it cosigned,
// and cosigns a new one (adds its own signature line to the note) only after verifying the
// mission's signature and a consistency proof from the last one. It refuses a rollback (a
// smaller checkpoint), a fork (another root at the same size) and a proof that does not
// verify, and says which.
//
// # Exports
//
// Export writes a folder that can travel on a USB stick and be checked by Verify (the `truce
// verify` command) with nothing but the log's verifier key:
//
//	checkpoint         the signed checkpoint note the export is of
//	records.ndjson     every record's canonical encoding and a newline, in log order
//	leaf-hashes        every record's leaf hash as logged, 32 bytes each, in log order
//	checkpoints/SIZE   each earlier checkpoint the mission published, as signed
//	proofs/SIZE        the consistency proof from that checkpoint to this one, one base64
//	                   hash per line
//
// The verifier hashes the records again and recomputes the tree; its root must be the signed
// one. The leaf hashes are redundant for that, and are there to name the record at fault when
// it is not: once they are shown to make the signed root themselves, the first record whose
// hash differs from its leaf hash is the one altered, removed or moved.
//
// For one record, InclusionProof writes its audit path and the signed checkpoint in the C2SP
// tlog-proof format, which CheckInclusion checks with the record and the verifier key: a
// party can show one record to another without handing over the whole log.
package ledger
