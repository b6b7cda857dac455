package app

import (
	"context"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/jobs"
	"github.com/ocopconnect/ocopconnect/internal/producers"
)

// wireProducers builds the producers use case, the daily certificate-expiry
// sweep and the media clean-up topic.
func (a *App) wireProducers() {
	st := a.Store
	a.Producers = &producers.Service{
		Tx: st, Producers: st.Producers(), Certificates: st.Certificates(), Users: st.Users(),
		Outbox: st.Outbox(), Audit: st.AuditLog(), Blobs: a.Blobs, Images: a.Media, Now: a.Now,
		DocumentMaxBytes: a.Config.CertificateDocumentMaxBytes,
	}
	// Hourly, not daily: the lease makes it run once per interval across
	// processes, and a certificate stops counting within an hour of local
	// midnight instead of up to a day late. Queries apply the date rule
	// between runs anyway.
	a.Runner.Every(jobs.Periodic{Name: "certificates.expire", Interval: time.Hour, Run: func(ctx context.Context) error {
		n, err := a.Producers.ExpireDue(ctx)
		if n > 0 {
			a.Log.Info("certificates expired", "count", n)
		}
		return err
	}})
	// Replaced documents and uploads whose row write failed go through
	// media.TopicDelete (registered by registerMedia).
	// producer.changed and certificate.changed have no handler yet: the
	// search index (issue 5) consumes them. Until then they wait in the
	// outbox; workers only claim topics that have a handler.
}
