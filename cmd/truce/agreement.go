package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/rules"
)

func init() {
	cmd := &cobra.Command{Use: "agreement", Short: "Work with agreement folders"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check DIR",
		Short: "Validate an agreement folder and summarise it",
		Long: `Loads the agreement folder DIR (agreement.yaml and the GeoJSON files it names), builds its
spatial index and compiles its rules. Prints a summary — parties, lines with their length, zones
with their area, rules, windows — or every problem found with its file and line, and exits 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			judge, err := loadAgreement(args[0])
			if err != nil {
				printProblems(cmd.ErrOrStderr(), args[0], err)
				return exitError{code: 1}
			}
			printSummary(cmd.OutOrStdout(), judge)
			return nil
		},
	})
	rootCmd.AddCommand(cmd)
}

// loadAgreement loads and compiles the agreement in dir.
func loadAgreement(dir string) (*rules.Judge, error) {
	a, err := agreement.Load(dir)
	if err != nil {
		return nil, err
	}
	return rules.Compile(a)
}

// agreementFlag loads and compiles the agreement a command's --agreement names. A missing
// flag is an error; an agreement that does not load has each of its problems printed on
// standard error, and the command exits 1.
func agreementFlag(cmd *cobra.Command, dir string) (*rules.Judge, error) {
	if dir == "" {
		return nil, errors.New("--agreement DIR is required")
	}
	judge, err := loadAgreement(dir)
	if err != nil {
		printProblems(cmd.ErrOrStderr(), dir, err)
		return nil, exitError{code: 1}
	}
	return judge, nil
}

// printProblems prints each problem of a failed load on a line of its own, with the folder
// in front of file names so that editors can jump to them.
func printProblems(w io.Writer, dir string, err error) {
	var problems agreement.Errors
	if errors.As(err, &problems) {
		for _, p := range problems {
			if p.File != "" && p.File != dir {
				p.File = strings.TrimSuffix(dir, "/") + "/" + p.File
			}
			fmt.Fprintln(w, p)
		}
		fmt.Fprintf(w, "%d problem(s) in %s\n", len(problems), dir)
		return
	}
	lines := strings.Split(err.Error(), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, agreement.FileName+":") {
			l = strings.TrimSuffix(dir, "/") + "/" + l
		}
		fmt.Fprintln(w, l)
	}
}

func printSummary(w io.Writer, j *rules.Judge) {
	a, eng := j.Agreement(), j.Engine()
	fmt.Fprintf(w, "%s — %s\nhash %s\n\n", a.ID, a.Title, a.Hash)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTY\tNAME")
	for _, p := range a.Parties {
		fmt.Fprintf(tw, "%s\t%s\n", p.ID, p.Name)
	}
	tw.Flush()
	if len(a.Lines) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "LINE\tLENGTH\tLEFT\tRIGHT\tNAME")
		for i, l := range a.Lines {
			fmt.Fprintf(tw, "%s\t%.1f km\t%s\t%s\t%s\n", l.ID, eng.LineLengthKm(i), dash(l.Left), dash(l.Right), l.Name)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "ZONE\tKIND\tAREA\tSHAPE\tNAME")
	for i, z := range a.Zones {
		fmt.Fprintf(tw, "%s\t%s\t%s km²\t%s\t%s\n", z.ID, z.Kind, areaText(eng.ZoneAreaKm2(i)), shapeText(&z), z.Name)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "RULE\tARTICLE\tSEVERITY\tATTRIBUTION\tKINDS\tWHERE")
	for _, r := range a.Rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Article, r.Severity, r.Attribution, strings.Join(r.Kinds, ","), ruleWhere(&r))
	}
	tw.Flush()
	if len(a.Windows) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "WINDOW\tFROM\tTO\tSUSPENDS\tTITLE")
		for _, win := range a.Windows {
			suspends := "all rules"
			if len(win.Rules) > 0 {
				suspends = strings.Join(win.Rules, ",")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", win.ID, win.Start.Format("2006-01-02 15:04Z07:00"), win.End.Format("2006-01-02 15:04Z07:00"), suspends, win.Title)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\n%d parties, %d lines, %d zones, %d rules, %d windows: OK\n", len(a.Parties), len(a.Lines), len(a.Zones), len(a.Rules), len(a.Windows))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func areaText(km2 float64) string {
	if km2 < 100 {
		return fmt.Sprintf("%.1f", km2)
	}
	return fmt.Sprintf("%.0f", km2)
}

func shapeText(z *truce.Zone) string {
	switch {
	case z.Band != nil:
		return fmt.Sprintf("band %g km %s of %s", z.Band.Km, z.Band.Side, z.Band.Line)
	case z.Circle != nil:
		return fmt.Sprintf("circle %g km around [%g, %g]", z.Circle.RadiusKm, z.Circle.Center[0], z.Circle.Center[1])
	default:
		n := 0
		for _, p := range z.Area {
			for _, r := range p {
				n += len(r)
			}
		}
		return fmt.Sprintf("%d polygon(s), %d vertices, %s", len(z.Area), n, z.File)
	}
}

func ruleWhere(r *truce.Rule) string {
	var parts []string
	if len(r.Zones) > 0 {
		parts = append(parts, "in "+strings.Join(r.Zones, "|"))
	}
	if lc := r.Line; lc != nil {
		s := "near " + lc.Line
		if lc.WithinKm > 0 {
			s += fmt.Sprintf(" ≤%g km", lc.WithinKm)
		}
		if lc.BeyondKm > 0 {
			s += fmt.Sprintf(" ≥%g km", lc.BeyondKm)
		}
		if lc.Side != "" {
			s += " " + lc.Side
		}
		parts = append(parts, s)
	}
	if r.When != "" {
		parts = append(parts, "when "+r.When)
	}
	if len(parts) == 0 {
		return "anywhere"
	}
	return strings.Join(parts, ", ")
}
