package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	truce "github.com/truce-project/truce"
)

func init() {
	var data string
	cmd := &cobra.Command{Use: "token", Short: "Create, list and revoke API tokens"}
	cmd.PersistentFlags().StringVar(&data, "data", "", "the data folder (env TRUCE_DATA; default "+defaultData+")")
	dataDir := func(cmd *cobra.Command) string {
		if cmd.Flags().Changed("data") {
			return data
		}
		return envOr("TRUCE_DATA", defaultData)
	}

	var role, party, name string
	create := &cobra.Command{
		Use:   "create --role ROLE [--party ID] [--name NAME] [--data DIR]",
		Short: "Create a token; the token itself is printed once, alone on the last line",
		Long: `Creates an API token with a role: admin (everything), monitor (submit observations),
analyst (read everything), liaison (the findings concerning --party), observer (what the public
sees). Only a hash is stored: the token printed on the last line cannot be shown again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t := &truce.Token{Role: truce.Role(role), Party: party, Name: name}
			if err := t.Validate(); err != nil {
				return err
			}
			store, err := openStore(dataDir(cmd))
			if err != nil {
				return err
			}
			defer store.Close()
			secret, err := store.CreateToken(cmd.Context(), t)
			if err != nil {
				return err
			}
			_ = store.Audit(cmd.Context(), truce.AuditEntry{Time: time.Now().UTC(), Action: "token.create", Outcome: "allowed",
				Detail: fmt.Sprintf("id %s role %s party %s (from the command line)", t.ID, t.Role, t.Party)})
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "created %s token %s", t.Role, t.ID)
			if t.Party != "" {
				fmt.Fprintf(out, " for party %s", t.Party)
			}
			fmt.Fprintln(out, "; keep it secret, it is not shown again:")
			fmt.Fprintln(out, secret)
			return nil
		},
	}
	create.Flags().StringVar(&role, "role", "", "admin, monitor, analyst, liaison or observer (required)")
	create.Flags().StringVar(&party, "party", "", "for a liaison: the party it speaks for")
	create.Flags().StringVar(&name, "name", "", "a name for the token, used as the source of what it submits")
	_ = create.MarkFlagRequired("role")

	list := &cobra.Command{
		Use:   "list [--data DIR]",
		Short: "List tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openStore(dataDir(cmd))
			if err != nil {
				return err
			}
			defer store.Close()
			tokens, err := store.Tokens(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tROLE\tPARTY\tNAME\tCREATED\tREVOKED")
			for _, t := range tokens {
				revoked := "-"
				if t.Revoked != nil {
					revoked = t.Revoked.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, dash(t.Party), dash(t.Name), t.Created.UTC().Format(time.RFC3339), revoked)
			}
			return tw.Flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID [--data DIR]",
		Short: "Revoke a token at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openStore(dataDir(cmd))
			if err != nil {
				return err
			}
			defer store.Close()
			if err := store.RevokeToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			_ = store.Audit(cmd.Context(), truce.AuditEntry{Time: time.Now().UTC(), Action: "token.revoke", Outcome: "allowed", Detail: "id " + args[0] + " (from the command line)"})
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	rootCmd.AddCommand(cmd)
}
