package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/jobs"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestRunnerDeliversRetriesAndDeadLetters(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		ctx := context.Background()
		st := testdb.OpenStore(t, db)
		now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		st.SetClock(clock)

		r := jobs.New(st.Outbox(), st.Leases(), jobs.Options{Workers: 1, MaxAttempts: 3, Now: clock})
		var delivered []string
		r.Handle(jobs.Topic{Name: "greet", BatchSize: 10, Handler: func(_ context.Context, msgs []ocop.OutboxMessage) []error {
			errs := make([]error, len(msgs))
			for i, m := range msgs {
				switch m.Key {
				case "bad":
					errs[i] = errors.New("always fails")
				case "panic":
					panic("handler bug")
				default:
					delivered = append(delivered, m.Key)
				}
			}
			return errs
		}})
		if err := st.Outbox().Enqueue(ctx, ocop.OutboxMessage{Topic: "greet", Key: "a"}, ocop.OutboxMessage{Topic: "greet", Key: "bad"}, ocop.OutboxMessage{Topic: "greet", Key: "b"}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.DrainOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(delivered) != "[a b]" {
			t.Fatalf("delivered %v", delivered)
		}
		// "bad" waits for its backoff, then fails until dead.
		for range 3 {
			advance(2 * time.Hour)
			if _, err := r.DrainOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		dead, _, err := st.Outbox().DeadLetters(ctx, "greet")
		if err != nil || len(dead) != 1 || dead[0].Key != "bad" {
			t.Fatalf("dead letters %v %v", dead, err)
		}
		stats, err := st.Outbox().Stats(ctx)
		if err != nil || len(stats) != 1 || stats[0].Pending != 0 || stats[0].Dead != 1 {
			t.Fatalf("stats %+v", stats)
		}

		// A panicking handler does not kill the worker; the message is retried.
		if err := st.Outbox().Enqueue(ctx, ocop.OutboxMessage{Topic: "greet", Key: "panic"}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.DrainOnce(ctx); err != nil {
			t.Fatal(err)
		}
		stats, err = st.Outbox().Stats(ctx)
		if err != nil || len(stats) != 1 || stats[0].Pending != 1 || stats[0].OldestReady == nil {
			t.Fatalf("panicking message should wait for a retry: %+v", stats)
		}
	})
}

func TestRunWakesOnEnqueueAndStops(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		st := testdb.OpenStore(t, db)
		r := jobs.New(st.Outbox(), st.Leases(), jobs.Options{Workers: 2, PollInterval: time.Hour})
		got := make(chan string, 1)
		r.Handle(jobs.Topic{Name: "ping", Handler: func(_ context.Context, msgs []ocop.OutboxMessage) []error {
			got <- msgs[0].Key
			return make([]error, len(msgs))
		}})
		st.OnEnqueue(r.Wake)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = r.Run(ctx); close(done) }()
		time.Sleep(50 * time.Millisecond)
		if err := st.Outbox().Enqueue(context.Background(), ocop.OutboxMessage{Topic: "ping", Key: "now"}); err != nil {
			t.Fatal(err)
		}
		select {
		case k := <-got:
			if k != "now" {
				t.Fatal(k)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the enqueue did not wake a worker (poll interval is an hour)")
		}
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not stop")
		}
	})
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	prev := time.Duration(0)
	for attempt := 1; attempt <= 6; attempt++ {
		d := jobs.Backoff(attempt)
		base := time.Second << (attempt - 1)
		if d < base*8/10 || d > base*12/10 {
			t.Fatalf("attempt %d: %v not within 20%% of %v", attempt, d, base)
		}
		if d <= prev*8/10 {
			t.Fatalf("backoff shrank: %v after %v", d, prev)
		}
		prev = d
	}
	if d := jobs.Backoff(50); d > time.Hour*12/10 {
		t.Fatalf("uncapped: %v", d)
	}
}

func TestPeriodicRunsOnceAcrossRunners(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		a, b := testdb.OpenStore(t, db), testdb.OpenStore(t, db)
		runs := 0
		ra := jobs.New(a.Outbox(), a.Leases(), jobs.Options{Workers: 1})
		rb := jobs.New(b.Outbox(), b.Leases(), jobs.Options{Workers: 1})
		job := jobs.Periodic{Name: "count", Interval: time.Hour, Run: func(context.Context) error { runs++; return nil }}
		ra.Every(job)
		rb.Every(job)
		ra.RunPeriodicNow(context.Background())
		rb.RunPeriodicNow(context.Background())
		if runs != 1 {
			t.Fatalf("ran %d times across two runners, want 1", runs)
		}
	})
}
