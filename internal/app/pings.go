package app

import (
	"context"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/jobs"
)

// registerPings wires operator pings (ocopconnect jobs ping): the handler
// that marks them delivered, and a sweep that forgets them after a week.
func (a *App) registerPings() {
	st := a.Store
	a.Pinger = &jobs.Pinger{Tx: st, Outbox: st.Outbox(), Pings: st.Pings(), Now: a.Now}
	a.Runner.Handle(a.Pinger.Topic(a.Runner.ID()))
	a.Runner.Every(jobs.Periodic{Name: "housekeeping.job_pings", Interval: time.Hour, Run: func(ctx context.Context) error {
		_, err := st.Pings().DeleteBefore(ctx, a.Now().Add(-7*24*time.Hour))
		return err
	}})
}
