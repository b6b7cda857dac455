package app

import (
	"context"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/jobs"
	"github.com/ocopconnect/ocopconnect/internal/listingsearch"
	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/search"
)

// wireSearch builds the listing search use case and registers the outbox
// relay that keeps the index true. The relay's topics are claimed only
// while the backend answers (Topic.Ready), so an outage leaves the messages
// waiting instead of burning their attempts; they are delivered when it is
// back, without a restart.
func (a *App) wireSearch() {
	st := a.Store
	a.ListingSearch = &listingsearch.Service{
		Index: a.Search, Source: st.SearchSource(), Tx: st, Outbox: st.Outbox(), Now: a.Now, Log: a.Log,
		PublicPath: func(key string) string { return "/media/" + media.PublicName(key) },
	}
	if a.opts.WithoutSearchRelay {
		return
	}
	ls := a.ListingSearch
	for _, t := range []jobs.Topic{
		{Name: listingsearch.TopicListingChanged, Handler: ls.HandleListingChanged, BatchSize: 200, Lease: time.Minute},
		// One producer or certificate can stand for many listings.
		{Name: listingsearch.TopicProducerChanged, Handler: ls.HandleProducerChanged, BatchSize: 20, Lease: 2 * time.Minute},
		{Name: listingsearch.TopicCertificateChanged, Handler: ls.HandleCertificateChanged, BatchSize: 50, Lease: 2 * time.Minute},
		// A full rebuild takes a while; the lease must outlast it.
		{Name: listingsearch.TopicReindex, Handler: ls.HandleReindex, BatchSize: 1, Lease: 30 * time.Minute},
	} {
		t.Ready = ls.Ready
		a.Runner.Handle(t)
	}
}

// RebuildSearchIfEmpty rebuilds a missing or empty embedded index from the
// records (serve calls it at start, in the background).
func (a *App) RebuildSearchIfEmpty(ctx context.Context) {
	if a.Search.Backend() != search.BackendBleve {
		return
	}
	if _, err := a.ListingSearch.RebuildIfEmpty(ctx); err != nil && ctx.Err() == nil {
		a.Log.Error("rebuilding the empty search index failed; run `ocopconnect reindex`", "err", err)
	}
}
