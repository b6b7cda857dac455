package app

import (
	"context"
	"errors"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/imports"
	"github.com/ocopconnect/ocopconnect/internal/jobs"
	"github.com/ocopconnect/ocopconnect/internal/listings"
	"github.com/ocopconnect/ocopconnect/internal/producers"
)

// wireImports builds the import use case (CLI and admin uploads) and the
// background topic that runs uploaded imports. Rows go through the
// producers and listings use cases, so the usual outbox messages
// (producer.changed, certificate.changed, listing.changed) keep the search
// index in step.
func (a *App) wireImports() {
	st := a.Store
	a.Imports = &imports.Service{
		Tx: st, Producers: a.Producers, Listings: importListings{a.Listings}, Now: a.Now,
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

// importListings adapts the listings use case to the import's port.
type importListings struct{ s *listings.Service }

func (l importListings) ImportDrafts(ctx context.Context, drafts []imports.Draft, actorID string) ([]producers.Change, error) {
	in := make([]listings.ImportDraft, len(drafts))
	for i, d := range drafts {
		in[i] = listings.ImportDraft{ProducerID: d.ProducerID, CertificateID: d.CertificateID, CertificateGroup: d.CertificateGroup,
			Input: listings.Input{
				ProducerID: d.ProducerID, TitleVI: d.TitleVI, TitleEN: d.TitleEN, DescriptionVI: d.DescriptionVI,
				DescriptionEN: d.DescriptionEN, ProductGroup: d.ProductGroup, ProductSet: d.ProductSet, Unit: d.Unit,
				PriceMinVND: d.PriceMinVND, PriceMaxVND: d.PriceMaxVND, MinOrderQty: d.MinOrderQty, MonthlyCapacity: d.MonthlyCapacity,
			}}
	}
	res, err := l.s.ImportDrafts(ctx, in, actorID)
	var de listings.ImportDraftErrors
	if errors.As(err, &de) {
		be := make(producers.BatchError, len(de))
		for i, e := range de {
			be[i] = producers.RowError{Index: e.Index, Err: e.Err}
		}
		return nil, be
	}
	if err != nil {
		return nil, err
	}
	out := make([]producers.Change, len(res))
	for i, r := range res {
		out[i] = producers.Change(r)
	}
	return out, nil
}
