package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/decode"
)

func init() {
	var dir, format, inputFormat string
	cmd := &cobra.Command{
		Use:   "check --agreement DIR [--format table|json] FILE...",
		Short: "Judge files of observations against an agreement and print the findings",
		Long: `Reads observations from each FILE (NDJSON, JSON, GeoJSON or CSV, told by the extension;
"-" reads standard input in the --input-format), judges each against the agreement in DIR and
prints the findings. --format json prints one JSON object per finding per line. Bad records are
reported on standard error with their file, line and field, and skipped. Exits 0 whether or
not there are findings, and 1 when the agreement or a file cannot be read.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return fmt.Errorf("--format %q: want table or json", format)
			}
			judge, err := agreementFlag(cmd, dir)
			if err != nil {
				return err
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			var print func(*truce.Finding)
			var tw *tabwriter.Writer
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetEscapeHTML(false)
				print = func(f *truce.Finding) { _ = enc.Encode(f) }
			} else {
				tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "TIME\tOBSERVATION\tRULE\tARTICLE\tZONE\tSTATUS\tPARTY\tEXPLANATION")
				print = func(f *truce.Finding) {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Time.UTC().Format("2006-01-02T15:04:05Z"), f.Observation, f.Rule, f.Article, dash(f.Zone), f.Status, dash(f.Party), f.Explanation)
				}
			}
			stderr := cmd.ErrOrStderr()
			var observations, findings, rejected int
			failed := false
			var buf []truce.Finding
			for _, name := range args {
				err := readObservations(name, inputFormat, func(line int, o *truce.Observation, rerr *decode.RecordError) error {
					if rerr != nil {
						rejected++
						fmt.Fprintf(stderr, "%s:%s\n", name, rerr.Error()[len("line "):])
						return nil
					}
					observations++
					buf = judge.Judge(o, buf[:0])
					for i := range buf {
						findings++
						print(&buf[i])
					}
					return nil
				})
				if err != nil {
					fmt.Fprintf(stderr, "%s: %v\n", name, err)
					failed = true
				}
			}
			if tw != nil {
				tw.Flush()
			}
			out.Flush()
			fmt.Fprintf(stderr, "%d observations, %d findings, %d records rejected\n", observations, findings, rejected)
			if failed {
				out.Flush()
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "agreement", "", "the agreement folder (required)")
	cmd.Flags().StringVar(&format, "format", "table", "output: table or json (one finding per line)")
	cmd.Flags().StringVar(&inputFormat, "input-format", "", "format of the input files: ndjson, json, geojson or csv (default: from each file's extension; ndjson for -)")
	rootCmd.AddCommand(cmd)
}

// readObservations reads the observation file name ("-" for standard input) in format, or
// the format its extension says.
func readObservations(name, format string, h decode.Handler) error {
	var r io.Reader = os.Stdin
	f := decode.Format(format)
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		defer file.Close()
		r = file
		if f == "" {
			if f, err = decode.FormatOfFile(name); err != nil {
				return err
			}
		}
	} else if f == "" {
		f = decode.NDJSON
	}
	return decode.Read(r, f, decode.Options{Source: sourceName(name)}, h)
}

// sourceName is the source given to observations of a file that name none.
func sourceName(file string) string {
	if file == "-" {
		return "stdin"
	}
	return "file:" + file
}
