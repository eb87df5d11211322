package cot

import (
	"bytes"
	"io"
	"testing"
)

// corpusStream returns the node-cot events one after another, and how many there are.
func corpusStream(b *testing.B) ([]byte, int) {
	names, events := corpus(b)
	var all bytes.Buffer
	for _, n := range names {
		all.Write(events[n])
		all.WriteByte('\n')
	}
	return all.Bytes(), len(names)
}

func reportEvents(b *testing.B, n int) {
	b.ReportMetric(float64(b.N)*float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkUnmarshalXML decodes each node-cot event on its own.
func BenchmarkUnmarshalXML(b *testing.B) {
	names, events := corpus(b)
	var size int
	for _, n := range names {
		size += len(events[n])
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, n := range names {
			if _, err := UnmarshalXML(events[n]); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportEvents(b, len(names))
}

// BenchmarkDecoderXML reads the node-cot events as one stream.
func BenchmarkDecoderXML(b *testing.B) {
	all, n := corpusStream(b)
	b.SetBytes(int64(len(all)))
	b.ReportAllocs()
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(all))
		for {
			_, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	reportEvents(b, n)
}

// BenchmarkProtoDecoder reads the node-cot events as TAK protocol stream frames.
func BenchmarkProtoDecoder(b *testing.B) {
	all, _ := corpusStream(b)
	var frames []byte
	d := NewDecoder(bytes.NewReader(all))
	n := 0
	for {
		e, err := d.Next()
		if err == io.EOF {
			break
		}
		if frames, err = AppendFrame(frames, e); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.SetBytes(int64(len(frames)))
	b.ReportAllocs()
	for b.Loop() {
		d := NewProtoDecoder(bytes.NewReader(frames))
		for {
			_, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	reportEvents(b, n)
}

func decodedCorpus(b *testing.B) []*Event {
	names, events := corpus(b)
	var es []*Event
	for _, n := range names {
		e, err := UnmarshalXML(events[n])
		if err != nil {
			b.Fatal(err)
		}
		es = append(es, e)
	}
	return es
}

// BenchmarkAppendXML writes the node-cot events as XML.
func BenchmarkAppendXML(b *testing.B) {
	es := decodedCorpus(b)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range es {
			buf = AppendXML(buf[:0], e)
		}
	}
	reportEvents(b, len(es))
}

// BenchmarkAppendFrame writes the node-cot events as TAK protocol stream frames.
func BenchmarkAppendFrame(b *testing.B) {
	es := decodedCorpus(b)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range es {
			var err error
			if buf, err = AppendFrame(buf[:0], e); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportEvents(b, len(es))
}
