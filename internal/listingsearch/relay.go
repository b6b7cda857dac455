package listingsearch

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// syncRounds bounds how often Sync redoes listings that changed while they
// were being indexed before it leaves them to a retry of their message.
const syncRounds = 3

// HandleListingChanged is the outbox handler of "listing.changed".
func (s *Service) HandleListingChanged(ctx context.Context, msgs []ocop.OutboxMessage) []error {
	return s.handle(ctx, msgs, func(_ context.Context, m ocop.OutboxMessage) ([]string, error) {
		return []string{m.Key}, nil
	})
}

// HandleProducerChanged is the outbox handler of "producer.changed": the
// producer's name, kind, place or verification shows on all its listings.
func (s *Service) HandleProducerChanged(ctx context.Context, msgs []ocop.OutboxMessage) []error {
	return s.handle(ctx, msgs, func(ctx context.Context, m ocop.OutboxMessage) ([]string, error) {
		return s.Source.ListingIDsOfProducer(ctx, m.Key)
	})
}

// HandleCertificateChanged is the outbox handler of "certificate.changed"
// (verified, rejected, revoked, expired by the sweep): the stars of the
// listings it backs.
func (s *Service) HandleCertificateChanged(ctx context.Context, msgs []ocop.OutboxMessage) []error {
	return s.handle(ctx, msgs, func(ctx context.Context, m ocop.OutboxMessage) ([]string, error) {
		return s.Source.ListingIDsOfCertificate(ctx, m.Key)
	})
}

// handle syncs every listing the batch's messages affect at once, then
// gives each message the error of any of its listings.
func (s *Service) handle(ctx context.Context, msgs []ocop.OutboxMessage, affected func(context.Context, ocop.OutboxMessage) ([]string, error)) []error {
	errs := make([]error, len(msgs))
	idsOf := make([][]string, len(msgs))
	var all []string
	seen := map[string]bool{}
	for i, m := range msgs {
		ids, err := affected(ctx, m)
		if err != nil {
			errs[i] = err
			continue
		}
		idsOf[i] = ids
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				all = append(all, id)
			}
		}
	}
	failed, err := s.Sync(ctx, all)
	for i := range msgs {
		if errs[i] != nil {
			continue
		}
		if err != nil {
			errs[i] = err
			continue
		}
		for _, id := range idsOf[i] {
			if e := failed[id]; e != nil {
				errs[i] = e
				break
			}
		}
	}
	return errs
}

// state is what the relay wrote for a listing: absent, or a version.
type state struct {
	visible bool
	version int64
}

// Sync brings the index documents of the listings in line with their
// current records. It returns the listings it could not settle (they kept
// changing; their messages are retried), or an error when the index or the
// records could not be reached at all.
func (s *Service) Sync(ctx context.Context, ids []string) (map[string]error, error) {
	pending := ids
	for round := 0; round < syncRounds && len(pending) > 0; round++ {
		wrote, err := s.write(ctx, pending)
		if err != nil {
			return nil, err
		}
		// Read again: a change committed after our read may already have
		// been indexed by another worker, and our write (an older upsert
		// after its delete, say) undone it. Its state now differs from
		// what we wrote, so we do it once more.
		now, err := s.states(ctx, pending)
		if err != nil {
			return nil, err
		}
		pending = slices.DeleteFunc(pending, func(id string) bool { return now[id] == wrote[id] })
	}
	failed := make(map[string]error, len(pending))
	for _, id := range pending {
		failed[id] = fmt.Errorf("listing %s kept changing while being indexed", id)
	}
	return failed, nil
}

func (s *Service) states(ctx context.Context, ids []string) (map[string]state, error) {
	srcs, err := s.Source.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]state, len(srcs))
	for i := range srcs {
		if srcs[i].Searchable() {
			out[srcs[i].Listing.ID] = state{visible: true, version: srcs[i].DocumentVersion()}
		}
	}
	return out, nil
}

// write reads the listings' current records and upserts or deletes their
// documents; it returns what it wrote.
func (s *Service) write(ctx context.Context, ids []string) (map[string]state, error) {
	srcs, err := s.Source.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	day := ocop.DateOf(s.Now())
	wrote := make(map[string]state, len(ids))
	var docs []ocop.SearchDocument
	for i := range srcs {
		if src := &srcs[i]; src.Searchable() {
			d := s.Document(src, day)
			docs = append(docs, d)
			wrote[d.ID] = state{visible: true, version: d.Version}
		}
	}
	var gone []string
	for _, id := range ids {
		if !wrote[id].visible {
			gone = append(gone, id)
		}
	}
	if len(docs) > 0 {
		if err := s.Index.Upsert(ctx, docs...); err != nil {
			return nil, err
		}
	}
	if len(gone) > 0 {
		if err := s.Index.Delete(ctx, gone...); err != nil {
			return nil, err
		}
	}
	return wrote, nil
}

// Ready reports whether the index can take writes; the relay's topics are
// claimed only then, so an outage does not use up the messages' attempts
// (they wait, and are delivered when the backend is back). A ping is cheap
// next to a batch (Bleve: a document count; Meilisearch: /health).
func (s *Service) Ready(ctx context.Context) bool {
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := s.Index.Ping(pctx)
	if was := s.down.Swap(err != nil); was != (err != nil) {
		if err != nil {
			s.log().Warn("search backend unavailable; search messages wait in the outbox", "err", err)
		} else {
			s.log().Info("search backend available again; delivering waiting search messages")
		}
	}
	return err == nil
}
