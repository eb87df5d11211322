// Command truce is the one binary of the truce ceasefire monitoring system. Each subcommand
// lives in a file of its own and adds itself to rootCmd in an init function.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:           "truce",
	Short:         "Monitor and verify a ceasefire agreement",
	SilenceUsage:  true,
	SilenceErrors: true,
}

// exitError carries an exit status to main without printing anything more: the command has
// already said what went wrong.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	if err := rootCmd.Execute(); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "truce:", err)
		os.Exit(1)
	}
}
