package main

import (
	"io"
	"os"

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
	decodeCmd.Flags().BoolVarP(&opts.unscaled, "unscaled", "u", false, "report values as transmitted, as gpsd's unscaled JSON does")
	decodeCmd.Flags().StringVar(&opts.device, "device", "", `report this name as "device" in every object, as gpsd names its input`)
	aisCmd.AddCommand(decodeCmd)
	rootCmd.AddCommand(aisCmd)
}

type aisDecodeOptions struct {
	stats    bool
	unscaled bool
	device   string
}

func decodeAIS(in io.Reader, out, errOut io.Writer, o aisDecodeOptions) error {
	st, err := ais.DecodeStream(in, out, errOut, ais.StreamOptions{
		JSON: ais.JSONOptions{Scaled: !o.unscaled, Device: o.device},
	})
	if err != nil {
		return err
	}
	if o.stats {
		_, err = st.WriteTo(errOut)
	}
	return err
}
