package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ocopconnect/ocopconnect/internal/app"
	"github.com/ocopconnect/ocopconnect/internal/store"
)

var errWorkersZero = errors.New("OCOP_WORKERS (or --workers) must be at least 1 for the worker command")

func newMigrateCmd() *cobra.Command {
	var common commonFlags
	cmd := &cobra.Command{
		Use:   "migrate up|down|status",
		Short: "Apply, roll back or list database migrations",
		Long: `Manage the database schema (embedded SQL migrations for PostgreSQL and SQLite).
  up      apply every pending migration
  down    roll back the newest applied migration
  status  list migrations and whether each is applied`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"up", "down", "status"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cobra.OnlyValidArgs(cmd, args); err != nil {
				return exitError{2, err}
			}
			cfg, err := loadConfig(cmd, &common, nil)
			if err != nil {
				return err
			}
			log := app.NewLogger(cfg)
			st, err := store.Open(cmd.Context(), store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log})
			if err != nil {
				return err
			}
			defer st.Close()
			out := cmd.OutOrStdout()
			switch args[0] {
			case "up":
				n, err := st.MigrateUp(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "applied %d migration(s) to %s\n", n, st.Dialect())
			case "down":
				m, err := st.MigrateDown(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "rolled back %05d %s\n", m.Version, m.Name)
			case "status":
				ms, err := st.MigrationStatuses(cmd.Context())
				if err != nil {
					return err
				}
				for _, m := range ms {
					state := "pending"
					if m.Applied {
						state = "applied"
					}
					fmt.Fprintf(out, "%05d  %-8s %s\n", m.Version, state, m.Name)
				}
			}
			return nil
		},
	}
	common.register(cmd)
	return cmd
}
