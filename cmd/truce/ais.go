package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/truce-project/truce/ais"
)

func init() {
	aisCmd := &cobra.Command{
		Use:   "ais",
		Short: "Work with AIS (NMEA AIVDM/AIVDO) data",
	}
	var opts aisDecodeOptions
	decodeCmd := &cobra.Command{
		Use:   "decode [FILE]",
		Short: "Decode AIVDM/AIVDO sentences into gpsd-style JSON, one object per message",
		Long: `Decode reads NMEA AIVDM/AIVDO sentences (with or without NMEA 4 tag blocks) from FILE,
or from standard input when no file is given, reassembles multi-sentence messages, and prints
one JSON object per decoded message with gpsd's field names and scaled units. Values the
sender marks "not available" are left out.

A sentence that cannot be decoded is reported on standard error with its line number and the
cause, and decoding goes on. Blank lines, '#' comments and other NMEA sentences ($GP...) are
skipped. The exit status is 0 when the input was read to the end, even with bad sentences.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := io.Reader(cmd.InOrStdin())
			if len(args) == 1 && args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			return decodeAIS(in, cmd.OutOrStdout(), cmd.ErrOrStderr(), opts)
		},
	}
	decodeCmd.Flags().BoolVar(&opts.stats, "stats", false, "print counts of messages by type and errors by cause to standard error")
	decodeCmd.Flags().BoolVar(&opts.unscaled, "unscaled", false, "report values as transmitted, as gpsd's unscaled JSON does")
	decodeCmd.Flags().StringVar(&opts.device, "device", "", `report this name as "device" in every object, as gpsd names its input`)
	aisCmd.AddCommand(decodeCmd)
	rootCmd.AddCommand(aisCmd)
}

type aisDecodeOptions struct {
	stats    bool
	unscaled bool
	device   string
}

type aisStats struct {
	lines, sentences, skipped, messages int64
	byType                              [64]int64
	byCause                             map[ais.Cause]int64
}

// decodeAIS is the decode loop: read a line, decode its sentences, write JSON. Lines are
// read with ReadSlice and JSON is appended into one reused buffer, so a steady stream does not
// allocate per sentence.
func decodeAIS(in io.Reader, out, errOut io.Writer, o aisDecodeOptions) error {
	r := bufio.NewReaderSize(in, 1<<16)
	w := bufio.NewWriterSize(out, 1<<16)
	ew := bufio.NewWriterSize(errOut, 1<<12)
	st := aisStats{byCause: map[ais.Cause]int64{}}
	report := func(e *ais.Error) {
		st.byCause[e.Cause]++
		ew.WriteString("truce ais: ")
		ew.WriteString(e.Error())
		ew.WriteByte('\n')
	}
	dec := &ais.Decoder{OnExpire: report}
	jo := ais.JSONOptions{Scaled: !o.unscaled, Device: o.device}
	var buf []byte
	var lineNo int64
	var tooLong bool
	decode := func(sentence []byte) {
		st.sentences++
		m, err := dec.Decode(lineNo, sentence)
		if err != nil {
			var e *ais.Error
			if errors.As(err, &e) {
				report(e)
			}
			return
		}
		if m == nil {
			return
		}
		st.messages++
		st.byType[m.Type&63]++
		buf = ais.AppendJSON(buf[:0], m, jo)
		buf = append(buf, '\n')
		w.Write(buf)
	}
	for {
		line, err := r.ReadSlice('\n')
		if len(line) > 0 {
			if tooLong {
				// The rest of a line already reported as too long.
				tooLong = err == bufio.ErrBufferFull
				if err == bufio.ErrBufferFull {
					continue
				}
			} else {
				lineNo++
				st.lines++
				if err == bufio.ErrBufferFull {
					tooLong = true
					st.byCause[ais.CauseFormat]++
					fmt.Fprintf(ew, "truce ais: line %d: format: line: longer than %d bytes\n", lineNo, r.Size())
					continue
				}
				if ais.IsSentence(line) {
					ais.SplitSentences(line, decode)
				} else {
					st.skipped++
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			w.Flush()
			ew.Flush()
			return err
		}
	}
	dec.Flush()
	if err := w.Flush(); err != nil {
		ew.Flush()
		return err
	}
	if o.stats {
		writeAISStats(ew, &st)
	}
	return ew.Flush()
}

func writeAISStats(w *bufio.Writer, st *aisStats) {
	fmt.Fprintf(w, "lines %d, sentences %d, skipped lines %d, messages %d\n", st.lines, st.sentences, st.skipped, st.messages)
	for t, n := range st.byType {
		if n > 0 {
			fmt.Fprintf(w, "type %2d %10d  %s\n", t, n, ais.TypeName(uint8(t)))
		}
	}
	var total int64
	for c := ais.Cause(1); c < 32; c++ {
		if n := st.byCause[c]; n > 0 {
			total += n
			fmt.Fprintf(w, "error %-14s %10d\n", c.String()+":", n)
		}
	}
	fmt.Fprintln(w, "errors "+strconv.FormatInt(total, 10))
}
