package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ocopconnect/ocopconnect/internal/app"
	"github.com/ocopconnect/ocopconnect/internal/demo"
)

func newSeedCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "seed", Short: "Load example data"}
	cmd.AddCommand(newSeedDemoCmd())
	return cmd
}

func newSeedDemoCmd() *cobra.Command {
	var (
		common   commonFlags
		password string
	)
	cmd := &cobra.Command{
		Use:   "demo [--password P]",
		Short: "Load a demo marketplace: the sample OCOP catalogue, demo accounts, photos, a trade fair",
		Long: `Load a realistic demo marketplace through the same use cases as the API:
the sample catalogue of 102 OCOP products (producers, verified certificates,
listings) imported like an official list, published with a generated photo
each; one demo account per role (admin, organiser, producer, buyer) whose
credentials it prints; and an upcoming trade fair in Buôn Ma Thuột with a
floor plan of 16 booths, a few of them booked. Running it again changes
nothing. Not for production databases.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, &common, nil)
			if err != nil {
				return err
			}
			a, err := app.New(cmd.Context(), cfg, app.NewLogger(cfg), app.Options{})
			if err != nil {
				return err
			}
			defer a.Close()
			st := a.Store
			res, err := demo.Seed(cmd.Context(), demo.Deps{
				Accounts: a.Accounts, Users: st.Users(), Imports: a.Imports, Members: st.Producers(),
				Listings: a.Listings, Events: a.Events, Now: a.Now,
			}, password)
			if err != nil {
				return describe(err)
			}
			out := cmd.OutOrStdout()
			r := res.Import
			fmt.Fprintf(out, "catalogue: %d rows; producers %d created, certificates %d created, listings %d created (%d rows unchanged)\n",
				r.TotalRows, r.ProducersCreated, r.CertificatesCreated, r.ListingsCreated, r.UnchangedRows)
			fmt.Fprintf(out, "listings published: %d (%d photos added); producers owned by the demo producer: %d\n",
				res.ListingsPublished, res.PhotosAdded, res.ProducersOwned)
			fmt.Fprintf(out, "trade fair: %s (%s), %d booths new, %d booked\n\n", res.EventName, res.EventID, res.Booths, res.Bookings)
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ROLE\tE-MAIL\tPASSWORD\t")
			for _, acc := range res.Accounts {
				pw := acc.Password
				if acc.Existed {
					pw += " (account existed: its password was not changed)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t\n", acc.Role, acc.Email, pw)
			}
			return tw.Flush()
		},
	}
	common.register(cmd)
	cmd.Flags().StringVar(&password, "password", "ocop-demo-2026", "password of the demo accounts (at least 10 characters)")
	return cmd
}
