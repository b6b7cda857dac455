// Package jobs runs background work: the outbox relay (messages written in
// the same transaction as the change that caused them, delivered to the
// handler registered for their topic with retries, backoff and a dead-letter
// state) and periodic sweeps coordinated across processes by database leases.
//
// The same Runner runs inside `ocopconnect serve` (OCOP_WORKERS goroutines)
// and alone in `ocopconnect worker` processes; several may run at once.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/store"
)

// Handler processes a batch of messages of one topic. It returns one error
// per message (nil = done); a message whose error is non-nil is retried
// later with backoff. Handlers must be idempotent: a message can be delivered
// again if a worker dies after handling it but before recording that.
type Handler func(ctx context.Context, msgs []ocop.OutboxMessage) []error

// Topic describes how a topic's messages are handled.
type Topic struct {
	Name    string
	Handler Handler
	// BatchSize is the most messages handed over at once (default 1).
	BatchSize int
	// Lease is how long a claimed batch is reserved before another worker may
	// take it over (default 1 minute). It must exceed the handler's run time.
	Lease time.Duration
	// Ready, if set, is asked before claiming: while it reports false the
	// topic's messages wait unclaimed, so an outage of the service the
	// handler writes to (the search backend) does not use up their
	// attempts and dead-letter them; they are delivered once it is back.
	Ready func(ctx context.Context) bool
}

// Periodic is a sweep run at most once per Interval across all processes.
type Periodic struct {
	Name     string
	Interval time.Duration
	Run      func(ctx context.Context) error
}

// Outbox is the queue the runner drains.
type Outbox interface {
	Claim(ctx context.Context, worker string, topics []string, limit int, lease time.Duration) ([]ocop.OutboxMessage, error)
	Complete(ctx context.Context, worker string, ids ...int64) error
	Fail(ctx context.Context, worker string, id int64, cause string, retryAt time.Time, dead bool) error
	Stats(ctx context.Context) ([]store.OutboxStats, error)
}

// Leases coordinate periodic jobs.
type Leases interface {
	TryRun(ctx context.Context, name, holder string, interval, lease time.Duration) (bool, error)
	Release(ctx context.Context, name, holder string, runErr error) error
}

// Options tune a Runner.
type Options struct {
	Workers      int
	PollInterval time.Duration
	MaxAttempts  int
	Logger       *slog.Logger
	Now          ocop.Clock
	Registerer   prometheus.Registerer
	// Tracer makes a span of each batch and periodic run (nil: none).
	Tracer trace.TracerProvider
}

// Runner drains the outbox and runs periodic jobs.
type Runner struct {
	outbox   Outbox
	leases   Leases
	opts     Options
	id       string
	topics   map[string]Topic
	periodic []Periodic
	wake     chan struct{}
	log      *slog.Logger
	metrics  *runnerMetrics
	tracer   trace.Tracer
}

// New builds a runner; register topics and periodic jobs before Run.
func New(outbox Outbox, leases Leases, opts Options) *Runner {
	if opts.PollInterval <= 0 {
		opts.PollInterval = 500 * time.Millisecond
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 10
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Now().UTC() }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	r := &Runner{
		outbox: outbox, leases: leases, opts: opts,
		id:     fmt.Sprintf("%s/%d/%s", host, os.Getpid(), uuid.NewString()[:8]),
		topics: map[string]Topic{}, wake: make(chan struct{}, 1),
		log: opts.Logger.With("component", "jobs"),
	}
	r.metrics = newRunnerMetrics(opts.Registerer, r)
	if opts.Tracer == nil {
		opts.Tracer = noop.NewTracerProvider()
	}
	r.tracer = opts.Tracer.Tracer("github.com/ocopconnect/ocopconnect/internal/jobs")
	return r
}

// Handle registers the handler of a topic.
func (r *Runner) Handle(t Topic) {
	if t.BatchSize <= 0 {
		t.BatchSize = 1
	}
	if t.Lease <= 0 {
		t.Lease = time.Minute
	}
	r.topics[t.Name] = t
}

// Every registers a periodic job.
func (r *Runner) Every(p Periodic) { r.periodic = append(r.periodic, p) }

// Wake makes idle workers look for messages now (called after an enqueue).
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// ID identifies this runner in leases and logs.
func (r *Runner) ID() string { return r.id }

// Run works until ctx ends, then waits for in-flight batches to finish.
func (r *Runner) Run(ctx context.Context) error {
	if r.opts.Workers <= 0 {
		return errors.New("jobs: no workers configured")
	}
	var wg sync.WaitGroup
	for i := range r.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.work(ctx, fmt.Sprintf("%s#%d", r.id, i))
		}()
	}
	if len(r.periodic) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.schedule(ctx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.metrics.observeLoop(ctx, r.outbox, r.log)
	}()
	r.log.Info("workers started", "workers", r.opts.Workers, "topics", len(r.topics), "periodic", len(r.periodic), "runner", r.id)
	wg.Wait()
	r.log.Info("workers stopped", "runner", r.id)
	return nil
}

func (r *Runner) topicNames() []string {
	names := make([]string, 0, len(r.topics))
	for n := range r.topics {
		names = append(names, n)
	}
	return names
}

func (r *Runner) work(ctx context.Context, worker string) {
	idle := time.NewTimer(0)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-idle.C:
		case <-r.wake:
		}
		n, err := r.drainOnce(context.WithoutCancel(ctx), worker)
		if err != nil {
			r.log.Warn("outbox claim failed", "worker", worker, "err", err)
		}
		if n > 0 && ctx.Err() == nil {
			idle.Reset(0) // more may be waiting
			continue
		}
		// Jitter spreads the polls of many workers apart.
		idle.Reset(r.opts.PollInterval/2 + rand.N(r.opts.PollInterval))
	}
}

// DrainOnce claims and handles one batch per topic; tests and the worker
// command's --once flag use it directly. It returns how many messages it saw.
func (r *Runner) DrainOnce(ctx context.Context) (int, error) {
	return r.drainOnce(ctx, r.id+"#once")
}

func (r *Runner) drainOnce(ctx context.Context, worker string) (int, error) {
	total := 0
	for _, t := range r.topics {
		if t.Ready != nil && !t.Ready(ctx) {
			continue
		}
		msgs, err := r.outbox.Claim(ctx, worker, []string{t.Name}, t.BatchSize, t.Lease)
		if err != nil {
			return total, err
		}
		if len(msgs) == 0 {
			continue
		}
		total += len(msgs)
		r.handle(ctx, worker, t, msgs)
	}
	return total, nil
}

func (r *Runner) handle(ctx context.Context, worker string, t Topic, msgs []ocop.OutboxMessage) {
	ctx, span := r.startBatchSpan(ctx, worker, t, msgs)
	defer span.End()
	hctx, cancel := context.WithTimeout(ctx, t.Lease)
	defer cancel()
	start := time.Now()
	errs := safeHandle(hctx, t.Handler, msgs)
	r.metrics.handled(t.Name, time.Since(start))
	var done []int64
	now := r.opts.Now()
	for i, m := range msgs {
		var err error
		if i < len(errs) {
			err = errs[i]
		}
		if err == nil {
			done = append(done, m.ID)
			r.metrics.delivered(t.Name, now.Sub(m.CreatedAt))
			continue
		}
		dead := m.Attempts >= r.opts.MaxAttempts
		retryAt := now.Add(Backoff(m.Attempts))
		r.metrics.failed(t.Name, dead)
		failSpan(span, m, err, dead)
		lvl := slog.LevelWarn
		if dead {
			lvl = slog.LevelError
		}
		r.log.Log(ctx, lvl, "outbox message failed", "topic", t.Name, "id", m.ID, "key", m.Key, "attempt", m.Attempts, "dead", dead, "err", err)
		if ferr := r.outbox.Fail(ctx, worker, m.ID, err.Error(), retryAt, dead); ferr != nil {
			r.log.Error("record outbox failure", "id", m.ID, "err", ferr)
		}
	}
	if err := r.outbox.Complete(ctx, worker, done...); err != nil {
		// The lease will run out and the batch be delivered again; handlers
		// are idempotent, so that is safe.
		r.log.Error("complete outbox messages", "topic", t.Name, "err", err)
	}
}

// safeHandle turns a handler panic into per-message errors so that one bad
// message cannot kill the worker.
func safeHandle(ctx context.Context, h Handler, msgs []ocop.OutboxMessage) (errs []error) {
	defer func() {
		if p := recover(); p != nil {
			errs = make([]error, len(msgs))
			for i := range errs {
				errs[i] = fmt.Errorf("handler panic: %v", p)
			}
		}
	}()
	errs = h(ctx, msgs)
	if len(errs) != len(msgs) && len(errs) != 0 {
		panic(fmt.Sprintf("jobs: handler returned %d errors for %d messages", len(errs), len(msgs)))
	}
	return errs
}

// Backoff is the delay before retry n: exponential from 1 s, capped at one
// hour, with ±20% jitter so that a burst of failures does not retry in step.
func Backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := time.Second << min(attempt-1, 12)
	d = min(d, time.Hour)
	jitter := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + jitter
}

func (r *Runner) schedule(ctx context.Context) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		for _, p := range r.periodic {
			if ctx.Err() != nil {
				return
			}
			r.runPeriodic(ctx, p)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// RunPeriodicNow runs every periodic job whose interval has passed (tests,
// and the worker command's --once flag).
func (r *Runner) RunPeriodicNow(ctx context.Context) {
	for _, p := range r.periodic {
		r.runPeriodic(ctx, p)
	}
}

func (r *Runner) runPeriodic(ctx context.Context, p Periodic) {
	lease := min(p.Interval, 30*time.Minute)
	ok, err := r.leases.TryRun(ctx, p.Name, r.id, p.Interval, lease)
	if err != nil {
		r.log.Warn("periodic lease failed", "job", p.Name, "err", err)
		return
	}
	if !ok {
		return
	}
	start := time.Now()
	runErr := func() (err error) {
		rctx, span := r.startPeriodicSpan(context.WithoutCancel(ctx), p)
		defer func() {
			if rec := recover(); rec != nil {
				err = fmt.Errorf("panic: %v", rec)
			}
			endSpan(span, err)
		}()
		rctx, cancel := context.WithTimeout(rctx, lease)
		defer cancel()
		return p.Run(rctx)
	}()
	if runErr != nil {
		r.log.Error("periodic job failed", "job", p.Name, "err", runErr, "duration", time.Since(start))
	} else {
		r.log.Info("periodic job done", "job", p.Name, "duration", time.Since(start))
	}
	if err := r.leases.Release(context.WithoutCancel(ctx), p.Name, r.id, runErr); err != nil {
		r.log.Warn("release periodic lease", "job", p.Name, "err", err)
	}
}
