// Package listingsearch is the use case of listing search: serving searches
// and suggestions from the search index (re-checked against the records, so
// that a listing that stopped being public is never shown even before the
// index catches up), keeping the index true through the outbox relay, and
// rebuilding it.
//
// The relay handles "listing.changed" (Key = listing ID), "producer.changed"
// (Key = producer ID: all its listings) and "certificate.changed" (Key =
// certificate ID: the listings it backs). It never trusts the message: it
// reads the CURRENT records of every affected listing in one statement,
// upserts the document of a searchable listing (published by a verified
// producer) or deletes it otherwise. Documents carry the time of the latest
// change of the records they were built from as their version, and the
// index ignores an upsert older than what it holds; after writing, the
// relay reads the records again and redoes any listing that changed
// meanwhile, which also covers a delete racing an older upsert. So however
// messages are ordered, duplicated or redelivered after a crash, the index
// converges to the records.
package listingsearch

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
)

// Topics the relay consumes (written by listings and producers) and the
// reindex topic it owns.
const (
	TopicListingChanged     = "listing.changed"
	TopicProducerChanged    = "producer.changed"
	TopicCertificateChanged = "certificate.changed"
	// TopicReindex asks the process that owns the index to rebuild it
	// (Key = the ocop.ReindexRun ID).
	TopicReindex = "search.reindex"
)

// Source is what the use case reads from the records.
type Source interface {
	ByIDs(ctx context.Context, ids []string) ([]ocop.ListingSource, error)
	Searchable(ctx context.Context, after string, limit int) ([]ocop.ListingSource, error)
	CountSearchable(ctx context.Context) (int64, error)
	PublicIDs(ctx context.Context, ids []string) (map[string]bool, error)
	ListingIDsOfProducer(ctx context.Context, producerID string) ([]string, error)
	ListingIDsOfCertificate(ctx context.Context, certificateID string) ([]string, error)
	CreateReindexRun(ctx context.Context, run *ocop.ReindexRun) error
	ReindexRun(ctx context.Context, id string) (*ocop.ReindexRun, error)
	UpdateReindexRun(ctx context.Context, run *ocop.ReindexRun) error
}

// Service is the listing search use case.
type Service struct {
	Index  ocop.SearchIndex
	Source Source
	Tx     ocop.Transactor
	Outbox ocop.Outbox
	Now    ocop.Clock
	Log    *slog.Logger
	// PublicPath turns an object key into the path clients fetch it from.
	PublicPath func(key string) string
	// ReindexBatch is how many listings a reindex reads and indexes at once
	// (DefaultReindexBatch when 0).
	ReindexBatch int

	down atomic.Bool // the index was unavailable at the last Ready
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Result is one page of search results.
type Result struct {
	ocop.SearchResult
	Page, PerPage int
	Took          time.Duration
}

// Search runs a query (validated here: a bad parameter is a 400 naming it)
// and drops the hits the records no longer show to buyers.
func (s *Service) Search(ctx context.Context, q ocop.SearchQuery) (*Result, error) {
	start := time.Now()
	if err := q.Normalize(); err != nil {
		return nil, err
	}
	res, err := s.Index.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	if len(res.Hits) > 0 {
		ids := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			ids[i] = h.Document.ID
		}
		public, err := s.Source.PublicIDs(ctx, ids)
		if err != nil {
			return nil, err
		}
		kept := res.Hits[:0]
		for _, h := range res.Hits {
			if public[h.Document.ID] {
				kept = append(kept, h)
			}
		}
		// The index will drop them too; the total is the best count known now.
		res.Total -= len(res.Hits) - len(kept)
		res.Hits = kept
	}
	return &Result{SearchResult: res, Page: q.Page, PerPage: q.PerPage, Took: time.Since(start)}, nil
}

// Suggest completes a partly typed query (at most ocop.SuggestMax).
func (s *Service) Suggest(ctx context.Context, prefix string, limit int) ([]string, error) {
	var v ocop.Validation
	q := ocop.SearchQuery{Q: prefix}
	if err := q.Normalize(); err != nil {
		return nil, err
	}
	if limit == 0 {
		limit = ocop.SuggestMax
	}
	v.Check(limit >= 1 && limit <= ocop.SuggestMax, "limit", "must be between 1 and %d", ocop.SuggestMax)
	if err := v.Err(); err != nil {
		return nil, err
	}
	out, err := s.Index.Suggest(ctx, prefix, limit)
	if out == nil && err == nil {
		out = []string{}
	}
	return out, err
}

// Document builds the search document of a listing as buyers see it on day.
func (s *Service) Document(src *ocop.ListingSource, day ocop.Date) ocop.SearchDocument {
	l := &src.Listing
	p := &src.Producer
	d := ocop.SearchDocument{
		ID: l.ID, TitleVI: l.TitleVI, TitleEN: l.TitleEN, DescriptionVI: l.DescriptionVI, DescriptionEN: l.DescriptionEN,
		ProducerID: p.ID, ProducerName: p.LegalName, ProducerKind: string(p.Kind),
		ProvinceCode: p.ProvinceCode, CommuneCode: p.CommuneCode,
		ProductGroup: l.ProductGroup, ProductSet: l.ProductSet, MOQ: l.MinOrderQty, Unit: l.Unit, Tags: l.Tags,
		UpdatedAt: l.UpdatedAt, Version: src.DocumentVersion(),
	}
	if pr, ok := places.LookupProvince(p.ProvinceCode); ok {
		d.ProvinceName = pr.Name
	}
	if c, ok := places.LookupCommune(p.CommuneCode); ok {
		d.CommuneName = c.Name
	}
	d.Stars = src.StarsOn(day)
	d.Certified = d.Stars > 0
	// A listing may give one bound only; the other is taken to equal it.
	switch {
	case l.PriceMinVND != nil && l.PriceMaxVND != nil:
		d.PriceMinVND, d.PriceMaxVND = *l.PriceMinVND, *l.PriceMaxVND
	case l.PriceMinVND != nil:
		d.PriceMinVND, d.PriceMaxVND = *l.PriceMinVND, *l.PriceMinVND
	case l.PriceMaxVND != nil:
		d.PriceMinVND, d.PriceMaxVND = *l.PriceMaxVND, *l.PriceMaxVND
	}
	if src.ThumbKey != "" && s.PublicPath != nil {
		d.ThumbnailURL = s.PublicPath(src.ThumbKey)
	}
	if l.PublishedAt != nil {
		d.PublishedAt = *l.PublishedAt
	} else {
		d.PublishedAt = l.CreatedAt
	}
	return d
}
