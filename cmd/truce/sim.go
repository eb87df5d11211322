package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/truce-project/truce/agreement"
	"github.com/truce-project/truce/rules"
	"github.com/truce-project/truce/sim"
)

func init() { rootCmd.AddCommand(newSimCmd()) }

func newSimCmd() *cobra.Command {
	var (
		dir, out, truthPath, start string
		cfg                        sim.Config
	)
	cmd := &cobra.Command{
		Use:   "sim --agreement DIR --hours N --seed S [--out FILE] [--truth FILE]",
		Short: "Generate a simulated scenario: observations as NDJSON, with their ground truth",
		Long: `sim simulates mission patrols along the demilitarised zone, acoustic sensors near the
line, ships on the maritime corridor, and violations of every rule of the agreement injected
at --violations an hour. It writes the observations, in time order, as NDJSON, and the ground
truth as JSON: "observations" labels every observation id with its generator (patrol,
acoustic, vessel, injected), whether it is a violation and the rules it breaks (exactly the
rules truce check finds on it); "violations" gives each injected violation's rule, party,
time, true position and observation ids; "events" gives each fire event heard by the
acoustic sensors with its firing party, origin, impact and reports.

The output depends only on the agreement, --start, --hours, --seed and the rates: the same
flags give the same bytes. --rate scales how often everything reports; at the default of 1
a day on examples/notional-east is about 5,400 observations, and the count grows in
proportion (--rate 20 gives about 107,000).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return fmt.Errorf("--agreement: required")
			}
			if start != "" {
				t, err := time.Parse(time.RFC3339, start)
				if err != nil {
					return fmt.Errorf("--start: %q is not an RFC 3339 time such as 2026-05-01T00:00:00Z", start)
				}
				cfg.Start = t
			}
			a, err := agreement.Load(dir)
			if err != nil {
				return err
			}
			judge, err := rules.Compile(a)
			if err != nil {
				return err
			}
			sc, err := sim.New(judge, cfg)
			if err != nil {
				return err
			}
			var w io.Writer = cmd.OutOrStdout()
			if out != "" && out != "-" {
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			truth := sim.NewTruth(sc)
			n, err := sim.WriteNDJSON(w, sc.Observations(), truth.Add)
			if err != nil {
				return err
			}
			if f, ok := w.(*os.File); ok && out != "" {
				if err := f.Close(); err != nil {
					return err
				}
			}
			if truthPath != "" {
				f, err := os.Create(truthPath)
				if err != nil {
					return err
				}
				if err := truth.WriteJSON(f); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d observations, %d injected violations, %d fire events\n",
				n, len(truth.Violations), len(truth.Events))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "agreement", "", "agreement folder (required)")
	f.Float64Var(&cfg.Hours, "hours", 24, "hours to simulate")
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed; the output depends only on it and the other flags")
	f.StringVar(&out, "out", "", "observations file (NDJSON); standard output when empty or -")
	f.StringVar(&truthPath, "truth", "", "ground truth file (JSON); not written when empty")
	f.StringVar(&start, "start", sim.DefaultStart.Format(time.RFC3339), "start time (RFC 3339)")
	f.Float64Var(&cfg.Rate, "rate", 1, "how often everything reports, relative to the default (about 5,400 observations a day on notional-east)")
	f.Float64Var(&cfg.ViolationsPerHour, "violations", sim.DefaultViolationsPerHour, "injected violations an hour, taking the rules in turn; negative for none")
	f.IntVar(&cfg.Patrols, "patrols", sim.DefaultPatrols, "mission patrols")
	f.IntVar(&cfg.Sensors, "sensors", 0, "acoustic sensors; 0 for one every 20 km of the front")
	f.IntVar(&cfg.Ships, "ships", sim.DefaultShips, "merchant ships on each corridor route")
	f.BoolVar(&cfg.Launches, "launches", false, "acoustic sensors also report the launch of artillery, mortar and rocket fire (fire.projectile, a bearing to the firing position), as counter-battery arrays do")
	return cmd
}
