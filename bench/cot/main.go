// Command cot-parse times the truce CoT decoder on a file of XML events, parsing each event
// on its own as node-cot does (see run.sh). Usage:
//
//	go run ./bench/cot EVENTS_FILE N [RUNS]
//
// It prints "truce events/s: X" for cot.UnmarshalXML over N passes of the events, and the
// same for the stream decoder (cot.Decoder) reading the whole file N times; each is timed
// RUNS times (default 1) and the best kept.
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/truce-project/truce/cot"
)

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: cot-parse EVENTS_FILE N [RUNS]")
		os.Exit(2)
	}
	runs := 1
	if len(os.Args) == 4 {
		var err error
		if runs, err = strconv.Atoi(os.Args[3]); err != nil || runs <= 0 {
			fmt.Fprintln(os.Stderr, "RUNS must be a positive number")
			os.Exit(2)
		}
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil || n <= 0 {
		fmt.Fprintln(os.Stderr, "N must be a positive number")
		os.Exit(2)
	}

	// Split the file into events with the stream decoder, so each can be parsed on its own.
	var events [][]byte
	d := cot.NewDecoder(bytes.NewReader(data))
	for {
		_, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		events = append(events, append([]byte(nil), d.Raw()...))
	}

	for _, e := range events { // one pass to warm up, as the Node side does
		if _, err := cot.UnmarshalXML(e); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	total := n * len(events)
	el := best(runs, func() {
		for i := 0; i < n; i++ {
			for _, e := range events {
				if _, err := cot.UnmarshalXML(e); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
			}
		}
	})
	fmt.Printf("truce cot.UnmarshalXML: %d events in %.3f s (best of %d)\n", total, el.Seconds(), runs)
	fmt.Printf("truce events/s: %.0f\n", float64(total)/el.Seconds())

	el = best(runs, func() {
		for i := 0; i < n; i++ {
			d := cot.NewDecoder(bytes.NewReader(data))
			for {
				if _, err := d.Next(); err == io.EOF {
					break
				} else if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
			}
		}
	})
	fmt.Printf("truce cot.Decoder (stream): %.0f events/s\n", float64(total)/el.Seconds())
}

// best runs f runs times and returns the shortest time it took.
func best(runs int, f func()) time.Duration {
	var fastest time.Duration
	for r := 0; r < runs; r++ {
		t0 := time.Now()
		f()
		if el := time.Since(t0); r == 0 || el < fastest {
			fastest = el
		}
	}
	return fastest
}
