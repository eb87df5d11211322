// Package takpb holds the protobuf messages of TAK protocol version 1, generated from
// takmessage.proto. The generated file is committed so that a build needs no protoc.
package takpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative takmessage.proto
