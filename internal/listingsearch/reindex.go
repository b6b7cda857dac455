package listingsearch

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// DefaultReindexBatch is how many listings a reindex reads and indexes at
// once. Bleve holds a batch's analysis in memory until its segment is
// built: at 100,000 listings, batches of 5,000 peaked at 750 MB resident,
// 500 at 340 MB, in the same 16 s.
const DefaultReindexBatch = 500

// Progress receives a reindex's progress: listings indexed so far and the
// number expected (which may grow while it runs).
type Progress func(done, total int64)

// Reindex rebuilds the whole index from the records into a fresh index
// and swaps it in atomically; searches are served by the old index until
// then and live changes reach both (ocop.SearchIndex.Rebuild). It returns
// how many listings it indexed.
func (s *Service) Reindex(ctx context.Context, progress Progress) (int64, error) {
	total, err := s.Source.CountSearchable(ctx)
	if err != nil {
		return 0, err
	}
	batch := s.ReindexBatch
	if batch <= 0 {
		batch = DefaultReindexBatch
	}
	if progress == nil {
		progress = func(int64, int64) {}
	}
	progress(0, total)
	var done int64
	err = s.Index.Rebuild(ctx, func(ctx context.Context, put func(docs ...ocop.SearchDocument) error) error {
		day := ocop.DateOf(s.Now())
		after := ""
		for {
			srcs, err := s.Source.Searchable(ctx, after, batch)
			if err != nil {
				return err
			}
			docs := make([]ocop.SearchDocument, len(srcs))
			for i := range srcs {
				docs[i] = s.Document(&srcs[i], day)
			}
			if len(docs) > 0 {
				if err := put(docs...); err != nil {
					return err
				}
			}
			done += int64(len(docs))
			total = max(total, done)
			progress(done, total)
			if len(srcs) < batch {
				return nil
			}
			after = srcs[len(srcs)-1].Listing.ID
		}
	})
	return done, err
}

// RebuildIfEmpty rebuilds an index that holds nothing while the records
// have searchable listings (a new or lost embedded index). It reports
// whether it rebuilt.
func (s *Service) RebuildIfEmpty(ctx context.Context) (bool, error) {
	n, err := s.Index.Count(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	want, err := s.Source.CountSearchable(ctx)
	if err != nil || want == 0 {
		return false, err
	}
	s.log().Info("search index is empty; rebuilding it from the records", "listings", want)
	start := time.Now()
	done, err := s.Reindex(ctx, nil)
	if err != nil {
		return false, err
	}
	s.log().Info("search index rebuilt", "listings", done, "duration", time.Since(start))
	return true, nil
}

// RequestReindex asks the process that owns the index to rebuild it: a
// run record and its "search.reindex" message, in one transaction. Follow
// it with ReindexRun.
func (s *Service) RequestReindex(ctx context.Context) (*ocop.ReindexRun, error) {
	now := s.Now()
	run := &ocop.ReindexRun{ID: uuid.Must(uuid.NewV7()).String(), Status: ocop.ReindexPending, CreatedAt: now, UpdatedAt: now}
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.Source.CreateReindexRun(ctx, run); err != nil {
			return err
		}
		return s.Outbox.Enqueue(ctx, ocop.OutboxMessage{Topic: TopicReindex, Key: run.ID, Payload: json.RawMessage(`{}`)})
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// ReindexRun returns a run's current state.
func (s *Service) ReindexRun(ctx context.Context, id string) (*ocop.ReindexRun, error) {
	return s.Source.ReindexRun(ctx, id)
}

// progressEvery is how often a running reindex records its progress.
const progressEvery = 300 * time.Millisecond

// HandleReindex is the outbox handler of "search.reindex": it carries out
// a requested run and records its progress and outcome. A failed rebuild
// is recorded in the run (the operator runs the command again), not
// retried: the old index keeps serving meanwhile.
func (s *Service) HandleReindex(ctx context.Context, msgs []ocop.OutboxMessage) []error {
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		errs[i] = s.carryOut(ctx, m.Key)
	}
	return errs
}

func (s *Service) carryOut(ctx context.Context, id string) error {
	run, err := s.Source.ReindexRun(ctx, id)
	if ocop.IsCode(err, ocop.CodeNotFound) {
		return nil // nothing to do: the record is gone
	}
	if err != nil {
		return err
	}
	if run.Status.Finished() {
		return nil // a redelivery after the run was recorded
	}
	started := s.Now()
	run.Status, run.StartedAt, run.Done, run.Error, run.UpdatedAt = ocop.ReindexRunning, &started, 0, "", started
	if err := s.Source.UpdateReindexRun(ctx, run); err != nil {
		return err
	}
	var last time.Time
	n, rerr := s.Reindex(ctx, func(done, total int64) {
		if time.Since(last) < progressEvery {
			return
		}
		last = time.Now()
		run.Done, run.Total, run.UpdatedAt = done, total, s.Now()
		if err := s.Source.UpdateReindexRun(ctx, run); err != nil {
			s.log().Warn("record reindex progress", "run", run.ID, "err", err)
		}
	})
	finished := s.Now()
	run.FinishedAt, run.UpdatedAt = &finished, finished
	if rerr != nil {
		run.Status, run.Error = ocop.ReindexFailed, safeMessage(rerr)
		s.log().Error("reindex failed", "run", run.ID, "err", rerr)
	} else {
		run.Status, run.Done, run.Total = ocop.ReindexDone, n, n
		s.log().Info("reindex done", "run", run.ID, "listings", run.Done, "duration", finished.Sub(started))
	}
	return s.Source.UpdateReindexRun(context.WithoutCancel(ctx), run)
}

// safeMessage is what the run record (shown by the command) says of an
// error: the ocop message, or the error text for others (operators only).
func safeMessage(err error) string {
	var oe *ocop.Error
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Message + ": " + oe.Err.Error()
	}
	return err.Error()
}
