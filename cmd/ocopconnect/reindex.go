package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/ocopconnect/ocopconnect/internal/app"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/search"
)

func newReindexCmd() *cobra.Command {
	var (
		common    commonFlags
		timeout   time.Duration
		viaServer bool
		quiet     bool
	)
	cmd := &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild the listing search index from the database (safe while the server runs)",
		Long: `Rebuild the whole listing search index from the database into a fresh index
and swap it in atomically; searches are served by the old index until then,
and changes made meanwhile reach both.

With Meilisearch (OCOP_MEILI_URL) the command rebuilds directly. The embedded
Bleve index belongs to the one process that opened it: when a server holds it,
the command asks that server's workers to rebuild (outbox topic
search.reindex) and follows their progress; when none does, it rebuilds
directly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, &common, nil)
			if err != nil {
				return err
			}
			log := app.NewLogger(cfg)
			a, err := app.New(cmd.Context(), cfg, log, app.Options{SkipMigrate: true, WithoutSearchRelay: true})
			if err != nil {
				return err
			}
			defer a.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			bar := newReindexBar(cmd.ErrOrStderr(), quiet)
			out := cmd.OutOrStdout()

			direct := !viaServer
			if direct && a.Search.Backend() == search.BackendBleve {
				// Opening the index fails (after a short wait for its lock)
				// when a running server holds it.
				if _, err := a.Search.Count(ctx); err != nil {
					log.Info("the embedded search index is held by another process; asking it to rebuild", "err", err)
					direct = false
				}
			}
			start := time.Now()
			if direct {
				n, err := a.ListingSearch.Reindex(ctx, func(done, total int64) {
					bar.ChangeMax64(max(total, 1))
					_ = bar.Set64(done)
				})
				_ = bar.Finish()
				if err != nil {
					return fmt.Errorf("reindex: %w", err)
				}
				fmt.Fprintf(out, "reindexed %d listing(s) in %s (%s)\n", n, time.Since(start).Round(time.Millisecond), a.Search.Backend())
				return nil
			}
			return followServerReindex(ctx, a, bar, out, start)
		},
	}
	common.register(cmd)
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "give up after this long")
	cmd.Flags().BoolVar(&viaServer, "via-server", false, "always ask the serving process to rebuild (embedded index)")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "no progress bar")
	return cmd
}

func newReindexBar(w io.Writer, quiet bool) *progressbar.ProgressBar {
	if quiet {
		w = io.Discard
	}
	return progressbar.NewOptions64(1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("indexing listings"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("listings"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}

// followServerReindex records a run for the serving process's workers and
// follows it until it ends.
func followServerReindex(ctx context.Context, a *app.App, bar *progressbar.ProgressBar, out io.Writer, start time.Time) error {
	run, err := a.ListingSearch.RequestReindex(ctx)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(out, "asked the serving process to rebuild the index (run %s)\n", run.ID)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	warned := false
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("reindex run %s not finished: %w (is `ocopconnect serve` running with workers?)", run.ID, ctx.Err())
		case <-tick.C:
		}
		cur, err := a.ListingSearch.ReindexRun(ctx, run.ID)
		if err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				continue
			}
			return describe(err)
		}
		if cur.Status == ocop.ReindexPending && !warned && time.Since(start) > 15*time.Second {
			warned = true
			fmt.Fprintln(out, "no worker has taken the run yet: is `ocopconnect serve` running with OCOP_WORKERS > 0?")
		}
		if cur.Total > 0 {
			bar.ChangeMax64(cur.Total)
			_ = bar.Set64(cur.Done)
		}
		switch cur.Status {
		case ocop.ReindexDone:
			bar.ChangeMax64(max(cur.Total, 1))
			_ = bar.Set64(max(cur.Done, 1))
			_ = bar.Finish()
			fmt.Fprintf(out, "reindexed %d listing(s) in %s (by the serving process)\n", cur.Done, time.Since(start).Round(time.Millisecond))
			return nil
		case ocop.ReindexFailed:
			_ = bar.Exit()
			return fmt.Errorf("reindex run %s failed: %s", run.ID, cur.Error)
		}
	}
}
