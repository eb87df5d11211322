// Package tak is the mission's TAK server: the streaming endpoints that ATAK, iTAK and WinTAK
// connect to, on TCP (conventionally port 8087) and TLS with client certificates (8089).
//
// # The stream
//
// A streaming connection carries CoT events one after another in both directions. It begins
// in XML (TAK protocol version 0). The server announces at once that it also speaks TAK
// protocol version 1 with a t-x-takp-v event whose detail is
//
//	<TakControl><TakProtocolSupport version="1"/></TakControl>
//
// A client that wants version 1 sends a t-x-takp-q event with <TakRequest version="1"/> and
// sends nothing more until it is answered. The server answers with a t-x-takp-r event,
// <TakResponse status="true"/>, still in XML; from the byte after that answer both sides
// write stream frames (0xbf, the length of a TakMessage as a varint, the TakMessage; see
// package cot). A request for any other version is answered status="false" and the
// connection stays in XML. A client may send t-x-c-t pings at any time; each is answered
// with a t-x-c-t-r pong. A client that sends nothing for Options.IdleTimeout is dropped.
//
// # Who is connected
//
// A TLS client presents a certificate issued by the mission's CA (see CA and IssueClient).
// Its subject's common name names the device, and its organisational units say the role,
// "role=monitor" or "role=liaison", and for a liaison the party it speaks for, "party=ID".
// A plain TCP client presents nothing: it is taken as a monitor of the mission, which is
// only right on a network the mission trusts.
//
// Every client certificate issued is listed in the data folder (ClientsFile), and a revoked
// one in RevokedFile (see Revoke, RevokeSerial). The TLS endpoint (ServeTLS) refuses a
// revoked certificate at the handshake, and the server reads RevokedFile again every few
// seconds and disconnects any device whose certificate has been revoked since it connected.
//
// # What flows
//
// Events from a monitor's device are mapped with a cot.Mapping. The device's own position
// reports (the events whose uid is the device's, learned from its first report that names a
// contact endpoint) are patrol positions: they are relayed to the other monitors and to no
// one else, and they are not observations. Positions are relayed in batches gathered over
// Options.FlushDelay (20 ms, longer with hundreds of devices), and the findings of each
// commit go out together: with a thousand devices every position goes to every device, and a
// write per position per device would cost more than everything else the server does.
// Markers become observations with source "tak:" + the device's uid and id uid@time, so a
// re-sent marker is a duplicate; they go through the ingest pipeline (Check, JudgeInto,
// Submit) in batches gathered over a few milliseconds from every connection, and a batch
// refused because the pipeline is busy is retried, never dropped without a log line.
// Liaisons' devices submit nothing.
//
// Every finding the pipeline stores is sent to every monitor as a CoT marker (see
// FindingEvent), and to a liaison only when the finding is attributed to its party. The
// markers carry no sources. A device that connects is first sent the recent findings it may
// see by the same rule (Options.CatchUp: the newest 500 observed in the last 6 hours and not
// dismissed), so that a monitor who was offline sees the picture.
//
// A Server is a truce.Notifier: a notice for a party (a finding concerning it verified or
// withdrawn, an answer to its liaison) reaches that party's liaisons' connected devices as a
// chat message with the notice's text, and no other device.
//
// # Slow clients
//
// Each client has a bounded queue of messages (batches) to write, and its writer writes all
// that is queued at once. Fan-out never waits: a message that does not fit in a client's
// queue cuts that client, which is sent a notice (a chat message)
// if its socket will take it within a second and is then disconnected. The messages it did
// not get are counted and logged. The other clients are not slowed.
//
// # Bad input
//
// An event that is well formed but wrong (a latitude of 91, a missing uid, a time in the
// future) is logged with the client and the field, and dropped; the connection goes on. A
// stream that is not well formed (bad framing, a bad varint, a message over the size limit,
// XML that is not well formed, a document type declaration such as an entity bomb) drops
// that connection only, with a log line that names the byte offset.
package tak
