package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/ocopconnect/ocopconnect/internal/app"
	"github.com/ocopconnect/ocopconnect/internal/jobs"
)

func newJobsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "jobs", Short: "Inspect and exercise the background job system"}
	cmd.AddCommand(newJobsPingCmd(), newJobsStatsCmd())
	return cmd
}

func newJobsPingCmd() *cobra.Command {
	var (
		common  commonFlags
		count   int
		hold    time.Duration
		timeout time.Duration
		noWait  bool
	)
	cmd := &cobra.Command{
		Use:   "ping [--count N] [--hold D] [--timeout T]",
		Short: "Send pings through the outbox and wait until workers handle them",
		Long: `Send N pings through the same path as real background work (a row and its
outbox message in one transaction, claimed by whichever worker process is
free) and wait until all are handled. Prints how many worker processes took
part and the enqueue-to-handled latency. Exits 1 when not every ping was
handled within --timeout: no worker is running, or they cannot keep up.
--hold keeps each batch in flight for a while, to rehearse killing a worker
mid-batch (its pings are redelivered once their 10 s lease runs out).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, &common, nil)
			if err != nil {
				return err
			}
			a, err := app.New(cmd.Context(), cfg, app.NewLogger(cfg), app.Options{SkipMigrate: true})
			if err != nil {
				return err
			}
			defer a.Close()
			out := cmd.OutOrStdout()
			keys, err := a.Pinger.Send(cmd.Context(), count, hold)
			if err != nil {
				return describe(err)
			}
			fmt.Fprintf(out, "sent %d ping(s)\n", len(keys))
			if noWait {
				return nil
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			r, err := a.Pinger.Wait(ctx, keys, 100*time.Millisecond)
			if err != nil {
				return err
			}
			printPingReport(cmd, r)
			if !r.Done() {
				return fmt.Errorf("%d of %d ping(s) not handled within %s: is a worker running (ocopconnect worker, or serve with OCOP_WORKERS > 0)?",
					r.Sent-r.Handled, r.Sent, timeout)
			}
			return nil
		},
	}
	common.register(cmd)
	cmd.Flags().IntVar(&count, "count", 1, fmt.Sprintf("pings to send (1-%d)", jobs.MaxPings))
	cmd.Flags().DurationVar(&hold, "hold", 0, fmt.Sprintf("keep each batch in flight this long (at most %s)", jobs.MaxPingHold))
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait for the pings to be handled")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "enqueue and exit")
	return cmd
}

func printPingReport(cmd *cobra.Command, r jobs.PingReport) {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "handled %d of %d by %d worker process(es); latency p50 %s, max %s; redelivered %d\n",
		r.Handled, r.Sent, len(r.Workers), r.P50.Round(time.Millisecond), r.Max.Round(time.Millisecond), r.Redelivered)
	names := make([]string, 0, len(r.Workers))
	for w := range r.Workers {
		names = append(names, w)
	}
	sort.Strings(names)
	for _, w := range names {
		fmt.Fprintf(out, "  %-50s %d\n", w, r.Workers[w])
	}
}

func newJobsStatsCmd() *cobra.Command {
	var common commonFlags
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show the outbox backlog per topic and the last run of each periodic job",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, &common, nil)
			if err != nil {
				return err
			}
			a, err := app.New(cmd.Context(), cfg, app.NewLogger(cfg), app.Options{SkipMigrate: true})
			if err != nil {
				return err
			}
			defer a.Close()
			out := cmd.OutOrStdout()
			stats, err := a.Store.Outbox().Stats(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintln(out, "outbox (topic, pending, dead, oldest pending):")
			for _, s := range stats {
				oldest := "-"
				if s.OldestReady != nil {
					oldest = a.Now().Sub(*s.OldestReady).Round(time.Second).String() + " ago"
				}
				fmt.Fprintf(out, "  %-40s %8d %6d  %s\n", s.Topic, s.Pending, s.Dead, oldest)
			}
			leases, err := a.Store.Leases().List(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintln(out, "periodic jobs (name, last run, last error):")
			for _, l := range leases {
				last, lastErr := "never", ""
				if l.LastRunAt != nil {
					last = l.LastRunAt.UTC().Format(time.RFC3339)
				}
				if l.LastError != nil {
					lastErr = *l.LastError
				}
				fmt.Fprintf(out, "  %-40s %s %s\n", l.Name, last, lastErr)
			}
			return nil
		},
	}
	common.register(cmd)
	return cmd
}
