package ais

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// benchSentences is every sentence of the corpora, in file order so that fragments meet.
func benchSentences(b *testing.B) [][]byte {
	files, _ := filepath.Glob("testdata/gpsd/daemon/*.log")
	files = append(files, "testdata/gpsd/sample.aivdm", "testdata/pyais/nmea_data_sample.txt")
	var out [][]byte
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if IsSentence(sc.Bytes()) {
				out = append(out, append([]byte(nil), sc.Bytes()...))
			}
		}
		f.Close()
	}
	return out
}

// BenchmarkDecode measures envelope, reassembly and payload decoding, per sentence.
func BenchmarkDecode(b *testing.B) {
	lines := benchSentences(b)
	d := &Decoder{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Decode(int64(i), lines[i%len(lines)])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/sentence")
}

// BenchmarkDecodeJSON adds the JSON encoding that `truce ais decode` writes.
func BenchmarkDecodeJSON(b *testing.B) {
	lines := benchSentences(b)
	d := &Decoder{}
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := d.Decode(int64(i), lines[i%len(lines)])
		if err == nil && m != nil {
			buf = AppendJSON(buf[:0], m, JSONOptions{Scaled: true})
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/sentence")
}

// BenchmarkParseSentence measures the envelope alone.
func BenchmarkParseSentence(b *testing.B) {
	line := []byte(type1)
	var s Sentence
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := ParseSentence(line, &s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkObserve measures turning a decoded class A report into an observation.
func BenchmarkObserve(b *testing.B) {
	d := &Decoder{}
	m, err := d.Decode(1, []byte(type1))
	if err != nil {
		b.Fatal(err)
	}
	v := &Vessels{DefaultSource: "bench"}
	at := testTime
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		v.Observe(m, at)
	}
}

var testTime = time.Date(2026, 11, 29, 1, 2, 3, 0, time.UTC)

// BenchmarkDecodeStream measures what `truce ais decode` does per sentence: read lines,
// decode, write JSON.
func BenchmarkDecodeStream(b *testing.B) {
	lines := benchSentences(b)
	var input []byte
	for len(input) < 8<<20 {
		for _, l := range lines {
			input = append(append(input, l...), '\n')
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var sentences int64
	for i := 0; i < b.N; i++ {
		st, err := DecodeStream(bytes.NewReader(input), io.Discard, io.Discard, StreamOptions{JSON: JSONOptions{Scaled: true}})
		if err != nil {
			b.Fatal(err)
		}
		sentences += st.Sentences
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(sentences), "ns/sentence")
}
