package main

import (
	"github.com/spf13/cobra"

	"github.com/ocopconnect/ocopconnect/internal/app"
	"github.com/ocopconnect/ocopconnect/internal/config"
)

// commonFlags are the flags every command that touches the database takes.
// A flag set on the command line wins over its OCOP_* variable.
type commonFlags struct {
	dataDir     string
	databaseURL string
	logFormat   string
}

func (f *commonFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.dataDir, "data-dir", "", "data directory (OCOP_DATA_DIR, default ./data)")
	cmd.Flags().StringVar(&f.databaseURL, "database-url", "", "PostgreSQL URL (OCOP_DATABASE_URL; empty = SQLite under the data directory)")
	cmd.Flags().StringVar(&f.logFormat, "log-format", "", "text or json (OCOP_LOG_FORMAT)")
}

// loadConfig reads the environment, applies the flags that were set and
// validates the result.
func loadConfig(cmd *cobra.Command, f *commonFlags, apply func(*config.Config)) (*config.Config, error) {
	env := app.Environ()
	set := func(flag, variable, value string) {
		if cmd.Flags().Changed(flag) {
			env[variable] = value
		}
	}
	set("data-dir", "OCOP_DATA_DIR", f.dataDir)
	set("database-url", "OCOP_DATABASE_URL", f.databaseURL)
	set("log-format", "OCOP_LOG_FORMAT", f.logFormat)
	cfg, err := config.LoadFrom(env)
	if err != nil {
		return nil, err
	}
	if apply != nil {
		apply(cfg)
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}
