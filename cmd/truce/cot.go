package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/cot"
)

func init() {
	cotCmd := &cobra.Command{
		Use:   "cot",
		Short: "Read and write Cursor-on-Target events (XML and TAK protocol)",
	}

	var fromProto bool
	var mapping string
	var own []string
	decodeCmd := &cobra.Command{
		Use:   "decode [FILE]",
		Short: "Print each CoT event of FILE (or standard input) as a line of JSON",
		Long: `Decode reads CoT events, XML one after another or, with --proto, TAK protocol
stream frames (0xbf, varint length, TakMessage), and prints one JSON object per event.
A bad event is reported on standard error with its byte offset and skipped; the exit
status is 1 if any event was bad.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := loadMapping(mapping, own)
			if err != nil {
				return err
			}
			var enc *json.Encoder
			return runCOT(cmd, args, fromProto, func(w *bufio.Writer, e *cot.Event) error {
				if enc == nil {
					// Callsigns and remarks are read by people: "&" stays "&".
					enc = json.NewEncoder(w)
					enc.SetEscapeHTML(false)
				}
				if m != nil {
					return enc.Encode(classified(cot.Summarize(e), m.Map(e, nil)))
				}
				return enc.Encode(cot.Summarize(e))
			})
		},
	}
	decodeCmd.Flags().BoolVar(&fromProto, "proto", false, "read TAK protocol stream frames instead of XML")
	decodeCmd.Flags().StringVar(&mapping, "map", "", `classify each event with the mapping in this YAML file ("default": the built-in rules), adding class, kind, party and reason`)
	decodeCmd.Flags().StringSliceVar(&own, "own", nil, "uids of the mission's own devices (a trailing * matches a prefix), added to the mapping's own_devices")

	var encFromProto bool
	var to string
	encodeCmd := &cobra.Command{
		Use:   "encode [FILE]",
		Short: "Re-encode CoT events: XML to TAK protocol stream frames, or back",
		Long: `Encode reads CoT events as decode does and writes them again: as TAK protocol
stream frames (--to proto, the default), or as XML events one per line (--to xml).
Bad events are reported on standard error and skipped, as in decode.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var write func(dst []byte, e *cot.Event) ([]byte, error)
			switch to {
			case "proto":
				write = cot.AppendFrame
			case "xml":
				write = func(dst []byte, e *cot.Event) ([]byte, error) {
					return append(cot.AppendXML(dst, e), '\n'), nil
				}
			default:
				return fmt.Errorf("--to %q: want proto or xml", to)
			}
			var buf []byte
			return runCOT(cmd, args, encFromProto, func(w *bufio.Writer, e *cot.Event) error {
				var err error
				if buf, err = write(buf[:0], e); err != nil {
					return err
				}
				_, err = w.Write(buf)
				return err
			})
		},
	}
	encodeCmd.Flags().BoolVar(&encFromProto, "proto", false, "read TAK protocol stream frames instead of XML")
	encodeCmd.Flags().StringVar(&to, "to", "proto", "output: proto (stream frames) or xml")

	cotCmd.AddCommand(decodeCmd, encodeCmd)
	rootCmd.AddCommand(cotCmd)
}

// runCOT decodes the events of the named file, or of standard input, and hands each to out.
// Bad events are reported on standard error and counted; if there were any, it returns
// exitError{1} after the whole input has been read.
func runCOT(cmd *cobra.Command, args []string, fromProto bool, out func(*bufio.Writer, *cot.Event) error) error {
	in := io.Reader(cmd.InOrStdin())
	name := "stdin"
	if len(args) == 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, args[0]
	}
	var d *cot.Decoder
	if fromProto {
		d = cot.NewProtoDecoder(in)
	} else {
		d = cot.NewDecoder(in)
	}
	w := bufio.NewWriterSize(cmd.OutOrStdout(), 64<<10)
	stderr := cmd.ErrOrStderr()
	bad := 0
	for {
		e, err := d.Next()
		if err == io.EOF {
			break
		}
		var de *cot.DecodeError
		if errors.As(err, &de) {
			bad++
			fmt.Fprintf(stderr, "%s: %v\n", name, de)
			continue
		}
		if err != nil {
			w.Flush()
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := out(w, e); err != nil {
			// An event that cannot be written in the output form is bad input too; a
			// failure to write is not.
			if truce.ErrorCode(err) == truce.EINVALID {
				bad++
				fmt.Fprintf(stderr, "%s: %v\n", name, err)
				continue
			}
			w.Flush()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if bad > 0 {
		return exitError{code: 1}
	}
	return nil
}

// loadMapping reads the mapping named by --map, or returns nil if there is none.
func loadMapping(name string, own []string) (*cot.Mapping, error) {
	var m *cot.Mapping
	switch name {
	case "":
		if len(own) > 0 {
			return nil, fmt.Errorf("--own needs --map")
		}
		return nil, nil
	case "default":
		m = cot.DefaultMapping()
	default:
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if m, err = cot.LoadMapping(name, f); err != nil {
			return nil, err
		}
	}
	m.OwnDevices = append(m.OwnDevices, own...)
	return m, nil
}

// classifiedEvent is the summary of an event with what the mapping made of it.
type classifiedEvent struct {
	cot.Summary
	Class  string `json:"class"`
	Kind   string `json:"kind,omitempty"`
	Party  string `json:"party,omitempty"`
	Reason string `json:"reason,omitempty"`
}

func classified(s cot.Summary, m cot.Mapped) classifiedEvent {
	c := classifiedEvent{Summary: s, Class: m.Class.String(), Reason: m.Reason}
	if o := m.Observation; o != nil {
		c.Kind, c.Party = o.Kind, o.Party
	}
	return c
}
