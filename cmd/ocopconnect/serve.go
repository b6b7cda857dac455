package main

import (
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/ocopconnect/ocopconnect/internal/app"
	"github.com/ocopconnect/ocopconnect/internal/config"
)

func newServeCmd() *cobra.Command {
	var (
		common  commonFlags
		addr    string
		workers int
		migrate bool
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API (and run background workers in the same process)",
		Long: `Serve the HTTP API. With no configuration at all it keeps everything under
./data (SQLite database, generated JWT key) and listens on 127.0.0.1:8080.
Pending migrations are applied at start unless --migrate=false.
SIGTERM or SIGINT stops accepting, lets in-flight requests finish within
OCOP_SHUTDOWN_GRACE, stops the workers and closes the database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, &common, func(c *config.Config) {
				if cmd.Flags().Changed("addr") {
					c.Addr = addr
				}
				if cmd.Flags().Changed("workers") {
					c.Workers = workers
				}
				if cmd.Flags().Changed("migrate") {
					c.MigrateOnStart = migrate
				}
			})
			if err != nil {
				return err
			}
			log := app.NewLogger(cfg)
			log.Info("starting ocopconnect", "version", app.Version, "config", cfg)
			a, err := app.New(cmd.Context(), cfg, log, app.Options{})
			if err != nil {
				return err
			}
			defer a.Close()
			return a.Serve(cmd.Context(), cfg.Workers, nil)
		},
	}
	common.register(cmd)
	cmd.Flags().StringVar(&addr, "addr", "", "listen address host:port (OCOP_ADDR, default 127.0.0.1:8080)")
	cmd.Flags().IntVar(&workers, "workers", 0, "background workers in this process; 0 = API only (OCOP_WORKERS, default 2)")
	cmd.Flags().BoolVar(&migrate, "migrate", true, "apply pending migrations at start (OCOP_MIGRATE_ON_START)")
	return cmd
}

func newWorkerCmd() *cobra.Command {
	var (
		common      commonFlags
		workers     int
		once        bool
		metricsAddr string
	)
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run only the background jobs (outbox relay, notifications, sweeps)",
		Long: `Run the background jobs without the HTTP API, so they scale apart from it.
Any number of worker processes may run against one database: claims use
leases (FOR UPDATE SKIP LOCKED on PostgreSQL), periodic sweeps run once per
interval across all of them. It does not migrate; run "migrate up" first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, &common, func(c *config.Config) {
				if cmd.Flags().Changed("workers") {
					c.Workers = workers
				}
				if cmd.Flags().Changed("metrics-addr") {
					c.MetricsAddr = metricsAddr
				}
			})
			if err != nil {
				return err
			}
			log := app.NewLogger(cfg)
			// The embedded search index belongs to the serving process:
			// its workers keep it true. With Meilisearch any worker may.
			embeddedSearch := cfg.MeiliURL == ""
			if embeddedSearch {
				log.Info("search topics are left to the serving process (embedded index); set OCOP_MEILI_URL to relay them here")
			}
			a, err := app.New(cmd.Context(), cfg, log, app.Options{SkipMigrate: true, WithoutSearchRelay: embeddedSearch})
			if err != nil {
				return err
			}
			defer a.Close()
			if once {
				n, err := a.Runner.DrainOnce(cmd.Context())
				a.Runner.RunPeriodicNow(cmd.Context())
				log.Info("worker pass done", "messages", n)
				return err
			}
			if cfg.Workers < 1 {
				return exitError{2, errWorkersZero}
			}
			log.Info("starting workers", "version", app.Version, "config", cfg)
			if cfg.MetricsAddr == "" {
				return a.Runner.Run(cmd.Context())
			}
			addr, serveMetrics, err := a.ListenMetrics(cfg.MetricsAddr)
			if err != nil {
				return err
			}
			log.Info("metrics listening", "addr", addr)
			// Both stop with the command's context (SIGTERM), or when the
			// other fails.
			g, ctx := errgroup.WithContext(cmd.Context())
			g.Go(func() error { return serveMetrics(ctx) })
			g.Go(func() error { return a.Runner.Run(ctx) })
			return g.Wait()
		},
	}
	common.register(cmd)
	cmd.Flags().IntVar(&workers, "workers", 0, "worker goroutines (OCOP_WORKERS, default 2)")
	cmd.Flags().StringVar(&metricsAddr, "metrics-addr", "", "serve GET /metrics and /healthz here (OCOP_METRICS_ADDR; default none)")
	cmd.Flags().BoolVar(&once, "once", false, "handle one batch per topic and the due sweeps, then exit")
	return cmd
}
