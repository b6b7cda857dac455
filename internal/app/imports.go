package app

import (
	"time"

	"github.com/ocopconnect/ocopconnect/internal/imports"
	"github.com/ocopconnect/ocopconnect/internal/jobs"
)

// wireImports builds the import use case (CLI and admin uploads) and the
// background topic that runs uploaded imports.
func (a *App) wireImports() {
	st := a.Store
	a.Imports = &imports.Service{
		Tx: st, Producers: a.Producers, Now: a.Now,
		BatchSize: a.Config.ImportBatchSize, MaxFileBytes: a.Config.ImportMaxBytes,
	}
	a.ImportJobs = &imports.Jobs{
		Runner: a.Imports, Tx: st, Repo: st.ImportJobs(), Outbox: st.Outbox(), Now: a.Now, Log: a.Log,
		MaxAttempts: a.Config.JobMaxAttempts,
	}
	// One import at a time per worker; the lease outlasts a large list (a
	// worker that dies mid-run leaves it to another after the lease, and
	// the rerun is idempotent).
	a.Runner.Handle(jobs.Topic{Name: imports.TopicRun, Handler: a.ImportJobs.Handle, BatchSize: 1, Lease: time.Hour})
}
