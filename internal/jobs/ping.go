package jobs

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/store"
)

// PingTopic is the outbox topic of operator pings.
const PingTopic = "ops.ping"

// Ping limits. The lease is short so that a ping batch lost with a killed
// worker is taken over within seconds; the hold stays well inside it.
const (
	PingLease   = 10 * time.Second
	MaxPingHold = 2 * time.Second
	MaxPings    = 10000
	pingBatch   = 20
)

// PingStore keeps pings and their delivery.
type PingStore interface {
	Create(ctx context.Context, keys ...string) error
	MarkHandled(ctx context.Context, by string, keys ...string) error
	Get(ctx context.Context, keys ...string) ([]store.PingRecord, error)
}

// Pinger sends pings through the same path as real background work (a row
// and its outbox message in one transaction, claimed by any worker process)
// and reports their delivery: an end-to-end check of the worker fleet after a
// deploy, and a way to rehearse losing a worker mid-batch (Hold keeps each
// batch in flight for a while).
type Pinger struct {
	Tx     ocop.Transactor
	Outbox ocop.Outbox
	Pings  PingStore
	Now    ocop.Clock
}

type pingPayload struct {
	HoldMS int64 `json:"hold_ms,omitempty"`
}

// Send enqueues n pings and returns their keys.
func (p *Pinger) Send(ctx context.Context, n int, hold time.Duration) ([]string, error) {
	var v ocop.Validation
	v.Check(n >= 1 && n <= MaxPings, "count", "must be between 1 and %d", MaxPings)
	v.Check(hold >= 0 && hold <= MaxPingHold, "hold", "must be between 0 and %s", MaxPingHold)
	if err := v.Err(); err != nil {
		return nil, err
	}
	payload, _ := json.Marshal(pingPayload{HoldMS: hold.Milliseconds()})
	keys := make([]string, n)
	msgs := make([]ocop.OutboxMessage, n)
	for i := range keys {
		keys[i] = uuid.Must(uuid.NewV7()).String()
		msgs[i] = ocop.OutboxMessage{Topic: PingTopic, Key: keys[i], Payload: payload}
	}
	err := p.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := p.Pings.Create(ctx, keys...); err != nil {
			return err
		}
		return p.Outbox.Enqueue(ctx, msgs...)
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// Topic is the handler registration; worker names the process in handled_by.
func (p *Pinger) Topic(worker string) Topic {
	return Topic{Name: PingTopic, BatchSize: pingBatch, Lease: PingLease, Handler: func(ctx context.Context, msgs []ocop.OutboxMessage) []error {
		var hold time.Duration
		keys := make([]string, len(msgs))
		for i, m := range msgs {
			keys[i] = m.Key
			var pl pingPayload
			if json.Unmarshal(m.Payload, &pl) == nil {
				hold = max(hold, time.Duration(pl.HoldMS)*time.Millisecond)
			}
		}
		if hold = min(hold, MaxPingHold); hold > 0 {
			select {
			case <-time.After(hold):
			case <-ctx.Done():
				return allFailed(len(msgs), ctx.Err())
			}
		}
		if err := p.Pings.MarkHandled(ctx, worker, keys...); err != nil {
			return allFailed(len(msgs), err)
		}
		return nil
	}}
}

func allFailed(n int, err error) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// PingReport summarises the delivery of a set of pings.
type PingReport struct {
	Sent, Handled int
	// Redelivered counts pings delivered more than once (a worker died or
	// lost its lease after handling them but before recording that).
	Redelivered int
	// Workers maps each worker process to the pings it handled first.
	Workers map[string]int
	// P50 and Max are enqueue-to-handled latencies of the handled pings.
	P50, Max time.Duration
}

// Done reports whether every ping was handled.
func (r PingReport) Done() bool { return r.Handled == r.Sent }

// Status reports how far the pings with the given keys got.
func (p *Pinger) Status(ctx context.Context, keys []string) (PingReport, error) {
	recs, err := p.Pings.Get(ctx, keys...)
	if err != nil {
		return PingReport{}, err
	}
	r := PingReport{Sent: len(keys), Workers: map[string]int{}}
	var lat []time.Duration
	for _, rec := range recs {
		if rec.HandledAt == nil {
			continue
		}
		r.Handled++
		r.Workers[rec.HandledBy]++
		if rec.Deliveries > 1 {
			r.Redelivered++
		}
		lat = append(lat, rec.HandledAt.Sub(rec.EnqueuedAt))
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		r.P50, r.Max = lat[len(lat)/2], lat[len(lat)-1]
	}
	return r, nil
}

// Wait polls until every ping is handled or ctx ends, and returns the last report.
func (p *Pinger) Wait(ctx context.Context, keys []string, every time.Duration) (PingReport, error) {
	for {
		r, err := p.Status(ctx, keys)
		if err != nil || r.Done() {
			return r, err
		}
		select {
		case <-ctx.Done():
			return r, nil
		case <-time.After(every):
		}
	}
}
