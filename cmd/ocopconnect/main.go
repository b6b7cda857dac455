// Command ocopconnect is the OCOP Connect service: one binary for the API
// server, background workers, migrations and administration.
//
//	ocopconnect serve                 API + in-process workers
//	ocopconnect worker                background jobs only
//	ocopconnect migrate up|down|status
//	ocopconnect admin create-user --email E --role R [--password P | stdin]
//	ocopconnect reindex               rebuild the search index (progress bar)
//	ocopconnect version
//
// Configuration comes from OCOP_* environment variables (see
// docs/configuration.md); flags override the most common ones.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "ocopconnect:", err)
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "ocopconnect",
		Short:         "OCOP Connect: trade-promotion marketplace for OCOP producers, buyers and trade fairs",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newWorkerCmd(), newMigrateCmd(), newAdminCmd(), newVersionCmd())
	root.AddCommand(newJobsCmd(), newHealthcheckCmd())
	root.AddCommand(newImportCmd(), newSeedCmd(), newReindexCmd())
	return root
}
