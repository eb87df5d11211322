package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/decode"
	"github.com/truce-project/truce/fusion"
)

func init() {
	var dir, format, inputFormat string
	var horizon time.Duration
	var all bool
	cmd := &cobra.Command{
		Use:   "fuse --agreement DIR [--format table|json] [--all] FILE...",
		Short: "Group observations into incidents, locate fire from bearings and attribute it",
		Long: `Reads observations from each FILE (NDJSON, JSON, GeoJSON or CSV, told by the extension;
"-" reads standard input in the --input-format), in about time order, judges each against the
agreement in DIR and fuses them into incidents: reports of one event from several sources, fire
located from the bearings sensors and monitors report (attrs bearing_deg, bearing_sd_deg) with a
95% error ellipse, and attributed to the party on whose side of the line the whole ellipse of
its origin lies. Incidents are printed as they close (a --horizon after their last report), with
more than one report unless --all is given; --format json prints one incident per line with its
members and their findings, attributed by the fused origin. Bad records are reported on standard
error with their file, line and field, and skipped. Exits 1 when the agreement or a file cannot
be read.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return fmt.Errorf("--format %q: want table or json", format)
			}
			judge, err := agreementFlag(cmd, dir)
			if err != nil {
				return err
			}
			a := judge.Agreement()
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			enc := json.NewEncoder(out)
			enc.SetEscapeHTML(false)
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			if format == "table" {
				fmt.Fprintln(tw, "START\tINCIDENT\tCLASS\tREPORTS\tSOURCES\tCONFIDENCE\tPARTY\tEXPLANATION")
			}
			var incidents, shown int
			print := func(inc *fusion.Incident) {
				incidents++
				if len(inc.Members) < 2 && !all {
					return
				}
				shown++
				if format == "json" {
					_ = enc.Encode(incidentView{inc, inc.AttributedFindings()})
					return
				}
				party, why := inc.Attribution.Party, inc.Attribution.Explanation
				if party != "" {
					party = a.PartyName(party)
				}
				if why == "" && inc.Position != nil {
					why = fmt.Sprintf("at %.5f, %.5f, 95%% ellipse %.0f × %.0f m", inc.Position.Lat, inc.Position.Lon,
						inc.Position.Ellipse.SemiMajorM, inc.Position.Ellipse.SemiMinorM)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", inc.Start.UTC().Format("2006-01-02T15:04:05Z"), inc.ID, inc.Class,
					len(inc.Members), inc.Sources, strconv.FormatFloat(inc.Confidence, 'f', 2, 64), dash(party), why)
			}
			f := fusion.New(a, judge.Engine(), fusion.Config{Horizon: horizon, OnClose: print})
			stderr := cmd.ErrOrStderr()
			var observations, rejected int
			failed := false
			for _, name := range args {
				err := readObservations(name, inputFormat, func(line int, o *truce.Observation, rerr *decode.RecordError) error {
					if rerr != nil {
						rejected++
						fmt.Fprintf(stderr, "%s:%s\n", name, rerr.Error()[len("line "):])
						return nil
					}
					observations++
					if _, err := f.Add(*o, judge.Judge(o, nil)); err != nil {
						rejected++
						fmt.Fprintf(stderr, "%s:%d: %v\n", name, line, err)
					}
					return nil
				})
				if err != nil {
					fmt.Fprintf(stderr, "%s: %v\n", name, err)
					failed = true
				}
			}
			f.Flush()
			tw.Flush()
			out.Flush()
			fmt.Fprintf(stderr, "%d observations, %d incidents (%d shown), %d records rejected\n", observations, incidents, shown, rejected)
			if failed {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "agreement", "", "the agreement folder (required)")
	cmd.Flags().StringVar(&format, "format", "table", "output: table or json (one incident per line)")
	cmd.Flags().StringVar(&inputFormat, "input-format", "", "format of the input files: ndjson, json, geojson or csv (default: from each file's extension; ndjson for -)")
	cmd.Flags().DurationVar(&horizon, "horizon", 2*time.Hour, "close an incident this long, in observation time, after its last report")
	cmd.Flags().BoolVar(&all, "all", false, "print incidents of a single report too")
	rootCmd.AddCommand(cmd)
}

// incidentView is an incident as `truce fuse --format json` prints it: with the findings of
// its members attributed by the fused origin.
type incidentView struct {
	*fusion.Incident
	Findings []truce.Finding `json:"findings,omitempty"`
}
