package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/tak"
)

func init() {
	takCmd := &cobra.Command{
		Use:   "tak",
		Short: "TAK (ATAK, iTAK, WinTAK) devices: certificates and connection packages",
		Long: `The TAK server runs inside truce serve (--tak-tcp, --tak-tls). Devices on the TLS
endpoint present a client certificate issued by the mission's CA, which says whether the
device is a monitor's or a party's liaison's; devices on the plain TCP endpoint present nothing
and are taken as the mission's monitors, so that endpoint belongs only on a network the
mission trusts.`,
	}
	var (
		client, role, party, data, out, host string
		port                                 int
	)
	certCmd := &cobra.Command{
		Use:   "cert --client NAME [--role monitor|liaison] [--party ID] [--data DIR] [--out DIR] [--host HOST]",
		Short: "Issue a device's client certificate and a TAK data package to import it",
		Long: `Issues a client certificate for one device from the mission's TAK CA (tak-ca.pem and
tak-ca.key in the data folder, created on first use, the key readable by its owner only) and
writes to --out:

  NAME.zip  a TAK data package: import it on the device (ATAK: Import > Local SD; iTAK:
            Servers > +, or open the file) to add the server HOST:PORT:ssl with the
            truststore and the device's keystore, both PKCS#12 under the password printed
  NAME.pem  the certificate, and NAME.key its key (mode 0600), for other clients

The role (monitor, or liaison with --party) is written in the certificate and read back on
every connection: a liaison's device receives only the findings attributed to its party and
never the monitors' positions, and submits nothing. The password is printed once; it is not
kept.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("data") {
				data = envOr("TRUCE_DATA", defaultData)
			}
			if client == "" {
				return errors.New("--client NAME is required")
			}
			if filepath.Base(client) != client || client == "." || client == ".." {
				return fmt.Errorf("--client %q: a device name cannot hold a path", client)
			}
			if host == "" {
				h, err := os.Hostname()
				if err != nil || h == "" {
					return errors.New("--host is required: the address devices will reach the server at")
				}
				host = h
			}
			ca, err := tak.LoadOrCreateCA(data)
			if err != nil {
				return err
			}
			cc, err := ca.IssueClient(client, truce.Role(role), party)
			if err != nil {
				return fmt.Errorf("%s", truce.ErrorMessage(err))
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			pkg := &tak.DataPackage{Name: client, Host: host, Port: port, CA: ca, Client: cc, Password: tak.NewPassword()}
			zipPath := filepath.Join(out, client+".zip")
			f, err := os.OpenFile(zipPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			if _, err := pkg.WriteTo(f); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, client+".pem"), cc.CertPEM, 0o644); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, client+".key"), cc.KeyPEM, 0o600); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "device:     %s (%s", client, role)
			if party != "" {
				fmt.Fprintf(w, " of party %s", party)
			}
			fmt.Fprintf(w, ")\npackage:    %s\nserver:     %s\npassword:   %s\ncertificate: %s, key %s\n",
				zipPath, pkg.ConnectString(), pkg.Password,
				filepath.Join(out, client+".pem"), filepath.Join(out, client+".key"))
			return nil
		},
	}
	certCmd.Flags().StringVar(&client, "client", "", "the device's name (the certificate's common name)")
	certCmd.Flags().StringVar(&role, "role", "monitor", "monitor or liaison")
	certCmd.Flags().StringVar(&party, "party", "", "for a liaison: the id of the party it speaks for")
	certCmd.Flags().StringVar(&data, "data", defaultData, "the data folder that holds the CA (env TRUCE_DATA)")
	certCmd.Flags().StringVar(&out, "out", ".", "folder to write the package, certificate and key to")
	certCmd.Flags().StringVar(&host, "host", "", "the server's address as devices reach it (default: this machine's name)")
	certCmd.Flags().IntVar(&port, "port", 8089, "the server's TLS port")
	takCmd.AddCommand(certCmd)
	rootCmd.AddCommand(takCmd)
}
