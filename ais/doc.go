// Package ais decodes the Automatic Identification System messages that ships, base stations
// and aids to navigation broadcast, as they arrive from shore receivers and aggregators: NMEA
// 0183 AIVDM/AIVDO sentences.
//
// # The envelope
//
// A sentence looks like
//
//	\s:r003669945,c:1241544035*4A\!AIVDM,1,1,,B,15N4cJ`005Jrek0H@9n`DW5608EP,0*13
//
// The optional NMEA 4 tag block between backslashes carries comma-separated key:value
// fields (s: the receiving station, c: the Unix time of reception, in seconds or
// milliseconds, g: a sentence group) and its own checksum. The sentence proper starts with
// '!', a two-letter talker (AI for a mobile station, AB/BS for base stations, others) and the
// formatter VDM (a message heard on the air) or VDO (the station's own). The fields that
// follow are the number of fragments of the message, this fragment's number, a sequential
// message id that ties the fragments of one message together, the radio channel, the
// armoured payload, and the number of fill bits that pad the payload to a six-bit boundary.
// The checksum after '*' is the XOR of every byte between '!' and '*', in two hex digits.
//
// # Reassembly
//
// A message longer than one sentence can hold (type 5 is 424 bits, two sentences) is split
// into fragments that share a message id and channel. Fragments of different messages may
// interleave, arrive out of order, or be lost. Pending messages are kept in a small table
// keyed by source, channel, message id and fragment count; a message whose fragments stop
// arriving expires after a fixed number of sentences, and the table never holds more than a
// fixed number of messages, so memory stays bounded whatever the input.
//
// # The payload
//
// Each payload character carries six bits: subtract 48 from its code and, if the result is
// more than 40, subtract 8 more. Concatenated most significant bit first, the characters give
// the message's bit string, less the fill bits at the end. Fields are big-endian unsigned or
// two's-complement integers at fixed bit offsets, and text is "six-bit ASCII": values 0-31
// are '@' to '_', values 32-63 are ' ' to '?', '@' ends the text, trailing spaces are padding.
//
// The first six bits give the message type, then two bits of repeat indicator and thirty of
// MMSI, the station's identity. Every type of ITU-R M.1371 (1 to 27) is decoded: positions
// and static data (1-5, 9, 11, 18, 19, 21, 24, 27), acknowledgements, inquiries and safety
// text (7, 10, 12-14), DGNSS (17), and the base station network's slot and channel
// management (15, 16, 20, 22, 23). Binary messages (6, 8, 25, 26) are decoded to their
// addressing and application id, with the application's data kept as bits. A type outside
// the standard keeps its type, repeat indicator, MMSI and raw payload.
//
// # Units and missing values
//
// Fields are kept as transmitted (Message) and scaled on the way out as gpsd does:
// longitude and latitude in 1/10000 minute become degrees (divide by 600000; type 27 sends
// 1/10 minute), speed in tenths of a knot becomes knots, course in tenths of a degree becomes
// degrees, rate of turn r becomes degrees per minute as sign(r)·(r/4.733)². A field whose
// value is the standard's "not available" code (longitude 181°, latitude 91°, speed 1023,
// course 3600, heading 511, second 60, rate of turn -128, draught 0, empty text) is absent
// from the output rather than reported as a number.
package ais
