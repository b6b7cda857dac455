package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/jobs"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/store"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

func newPinger(st *store.Store) (*jobs.Pinger, *jobs.Runner) {
	r := jobs.New(st.Outbox(), st.Leases(), jobs.Options{Workers: 1})
	p := &jobs.Pinger{Tx: st, Outbox: st.Outbox(), Pings: st.Pings()}
	r.Handle(p.Topic(r.ID()))
	return p, r
}

func TestPingsAreHandledOnceAndReported(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		ctx := context.Background()
		st := testdb.OpenStore(t, db)
		p, r := newPinger(st)
		keys, err := p.Send(ctx, 45, 0)
		if err != nil {
			t.Fatal(err)
		}
		before, err := p.Status(ctx, keys)
		if err != nil || before.Sent != 45 || before.Handled != 0 || before.Done() {
			t.Fatalf("before any worker ran: %+v %v", before, err)
		}
		for {
			n, err := r.DrainOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		rep, err := p.Status(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Done() || rep.Redelivered != 0 || rep.Workers[r.ID()] != 45 || len(rep.Workers) != 1 {
			t.Fatalf("report: %+v", rep)
		}
		// A message delivered again (its worker died before completing it)
		// counts as a redelivery and keeps the first handler.
		if err := st.Pings().MarkHandled(ctx, "another-worker", keys[0]); err != nil {
			t.Fatal(err)
		}
		if rep, _ = p.Status(ctx, keys); rep.Redelivered != 1 || rep.Workers[r.ID()] != 45 {
			t.Fatalf("after a redelivery: %+v", rep)
		}
		for _, bad := range []struct {
			n    int
			hold time.Duration
		}{{0, 0}, {jobs.MaxPings + 1, 0}, {1, time.Hour}, {1, -time.Second}} {
			if _, err := p.Send(ctx, bad.n, bad.hold); !ocop.IsCode(err, ocop.CodeValidation) {
				t.Errorf("Send(%d, %s): %v", bad.n, bad.hold, err)
			}
		}
	})
}

// BenchmarkOutboxRelayPings is the outbox's throughput per worker goroutine
// on SQLite: claim a batch, run the (trivial) ping handler, complete. Each op
// is one message.
func BenchmarkOutboxRelayPings(b *testing.B) {
	ctx := context.Background()
	db := testdb.DatabaseBackends(b)[0].New(b)
	st := testdb.OpenStore(b, db)
	p, r := newPinger(st)
	for sent := 0; sent < b.N; sent += jobs.MaxPings {
		if _, err := p.Send(ctx, min(jobs.MaxPings, b.N-sent), 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for done := 0; done < b.N; {
		n, err := r.DrainOnce(ctx)
		if err != nil || n == 0 {
			b.Fatalf("drained %d of %d: %v", done, b.N, err)
		}
		done += n
	}
}
