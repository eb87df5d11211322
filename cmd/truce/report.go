package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	reports "github.com/truce-project/truce/report"
	"github.com/truce-project/truce/rules"
	"github.com/truce-project/truce/sqlite"
)

func init() {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the mission's reports: the daily report, spot reports",
	}
	cmd.AddCommand(newReportDailyCmd(), newReportSpotCmd())
	rootCmd.AddCommand(cmd)
}

// reportFlags are the flags every report command shares.
type reportFlags struct {
	dir, data, format, out, cutoff string
}

func (f *reportFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.dir, "agreement", "", "the agreement folder (env TRUCE_AGREEMENT)")
	cmd.Flags().StringVar(&f.data, "data", "", "the data folder (env TRUCE_DATA; default "+defaultData+")")
	cmd.Flags().StringVar(&f.format, "format", "html", "html (one self-contained page) or json (the report's source)")
	cmd.Flags().StringVar(&f.out, "out", "", "write to this file instead of standard output")
	cmd.Flags().StringVar(&f.cutoff, "cutoff", "19:30", "the local time of day (HH:MM, in the agreement's time zone) a reporting day ends")
}

// generator loads the agreement and opens the data folder's store, which the generator reads
// and the caller closes.
func (f *reportFlags) generator(cmd *cobra.Command) (*reports.Generator, *sqlite.DB, error) {
	if f.format != "html" && f.format != "json" {
		return nil, nil, fmt.Errorf("--format %q: give html or json", f.format)
	}
	cutoff, err := reports.ParseCutoff(f.cutoff)
	if err != nil {
		return nil, nil, fmt.Errorf("--cutoff: %s", truce.ErrorMessage(err))
	}
	if !cmd.Flags().Changed("agreement") {
		f.dir = os.Getenv("TRUCE_AGREEMENT")
	}
	if f.dir == "" {
		return nil, nil, errors.New("--agreement DIR is required (or TRUCE_AGREEMENT): the report draws its map and names from it")
	}
	if !cmd.Flags().Changed("data") {
		f.data = envOr("TRUCE_DATA", defaultData)
	}
	a, err := agreement.Load(f.dir)
	if err != nil {
		printProblems(cmd.ErrOrStderr(), f.dir, err)
		return nil, nil, exitError{code: 1}
	}
	j, err := rules.Compile(a)
	if err != nil {
		printProblems(cmd.ErrOrStderr(), f.dir, err)
		return nil, nil, exitError{code: 1}
	}
	if _, err := os.Stat(dbPath(f.data)); err != nil {
		return nil, nil, fmt.Errorf("data folder %s holds no store (%s): %w", f.data, dbPath(f.data), err)
	}
	store, err := openStore(f.data)
	if err != nil {
		return nil, nil, err
	}
	g, err := reports.New(j, store, reports.Options{Cutoff: cutoff})
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return g, store, nil
}

// write puts the report where --out says.
func (f *reportFlags) write(cmd *cobra.Command, data []byte) error {
	if f.out == "" {
		_, err := cmd.OutOrStdout().Write(data)
		return err
	}
	return os.WriteFile(f.out, data, 0o644)
}

func marshalReport(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	err := enc.Encode(v)
	return b.Bytes(), err
}

func newReportDailyCmd() *cobra.Command {
	var (
		f         reportFlags
		date      string
		published bool
	)
	cmd := &cobra.Command{
		Use:   "daily [--date YYYY-MM-DD] --agreement DIR [--data DIR] [--format html|json] [--out FILE] [--cutoff HH:MM]",
		Short: "Write the daily report of a date from the data folder's store",
		Long: `Writes the daily report of a date: the verified violations of the period that ends at the
cut-off (19:30 by default, in the agreement's time zone) on that date and began at the cut-off the
day before, by type, area and party against the previous period, with the map, the restrictions of
the mission's freedom of movement, damage to its equipment, the disengagement areas and the annex
of every verified violation. Without --date, the last day whose cut-off has passed.

--published writes the version an analyst published (POST /api/v1/reports/daily/{date}/publish)
instead of building the report afresh.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			g, store, err := f.generator(cmd)
			if err != nil {
				return err
			}
			defer store.Close()
			if date == "" {
				now := time.Now().In(g.Location())
				day := now
				if now.Sub(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, g.Location())) < g.Cutoff() {
					day = now.AddDate(0, 0, -1)
				}
				date = day.Format(time.DateOnly)
			}
			if published {
				p, err := store.PublishedReport(cmd.Context(), truce.ReportDaily, date)
				if err != nil {
					return errors.New(truce.ErrorMessage(err))
				}
				if f.format == "json" {
					return f.write(cmd, p.JSON)
				}
				return f.write(cmd, p.HTML)
			}
			d, err := g.Daily(cmd.Context(), date)
			if err != nil {
				return errors.New(truce.ErrorMessage(err))
			}
			var data []byte
			if f.format == "json" {
				data, err = marshalReport(d)
			} else {
				data, err = g.DailyHTML(d)
			}
			if err != nil {
				return err
			}
			if err := f.write(cmd, data); err != nil {
				return err
			}
			if f.out != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "daily report %s: %d verified violations (%d in the previous period), %d restrictions of movement; written to %s\n",
					date, d.Summary.Violations, d.Summary.Previous, d.Summary.Restrictions, f.out)
			}
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&date, "date", "", "the date of the report, YYYY-MM-DD (default: the last day whose cut-off has passed)")
	cmd.Flags().BoolVar(&published, "published", false, "write the published version instead of a fresh draft")
	return cmd
}

func newReportSpotCmd() *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "spot FINDING --agreement DIR [--data DIR] [--format html|json] [--out FILE]",
		Short: "Write the spot report of one finding, with its review history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, store, err := f.generator(cmd)
			if err != nil {
				return err
			}
			defer store.Close()
			s, err := g.SpotFinding(cmd.Context(), args[0], reports.SpotAudience{History: true})
			if err != nil {
				return errors.New(truce.ErrorMessage(err))
			}
			var data []byte
			if f.format == "json" {
				data, err = marshalReport(s)
			} else {
				var b bytes.Buffer
				err = g.RenderSpot(&b, s)
				data = b.Bytes()
			}
			if err != nil {
				return err
			}
			return f.write(cmd, data)
		},
	}
	f.add(cmd)
	return cmd
}
