package app

import (
	"context"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/events"
	"github.com/ocopconnect/ocopconnect/internal/jobs"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/producers"
	"github.com/ocopconnect/ocopconnect/internal/store"
)

// wireEvents builds the trade-fair use case and its sweep of lapsed holds.
func (a *App) wireEvents() {
	st := a.Store
	cfg := a.Config
	a.Events = &events.Service{
		Tx: st, Events: st.Events(), Booths: st.Booths(), Bookings: st.Bookings(), Waitlist: st.Waitlist(),
		Producers: eventProducers{svc: a.Producers, repo: st.Producers()},
		Outbox:    st.Outbox(), Audit: st.AuditLog(), Now: a.Now,
		Settings: events.Settings{HoldTTL: cfg.BookingHoldTTL, OfferTTL: cfg.WaitlistOfferTTL, HoldWarning: cfg.BookingHoldWarning},
	}
	a.Runner.Every(jobs.Periodic{Name: "events.sweep", Interval: cfg.EventsSweepInterval, Run: func(ctx context.Context) error {
		res, err := a.Events.Sweep(ctx)
		if res.Expired+res.Warned > 0 || res.Completed > 0 {
			a.Log.Info("events sweep", "expired", res.Expired, "warned", res.Warned, "completed", res.Completed)
		}
		return err
	}})
}

// wireEventNotices turns booking notices into notifications; it runs after
// wireInquiries, which builds the notifications use case.
func (a *App) wireEventNotices() {
	a.Events.Notifier, a.Events.Members = a.Notify, a.Store.Producers()
	a.Runner.Handle(jobs.Topic{Name: events.NotificationTopic, BatchSize: 50, Handler: a.Events.DeliverNotices})
}

// eventProducers adapts the producers use case to the port the trade-fair
// use case declares.
type eventProducers struct {
	svc  *producers.Service
	repo *store.Producers
}

func toEventProducer(p *ocop.Producer) events.Producer {
	return events.Producer{ID: p.ID, Name: p.LegalName, ProvinceCode: p.ProvinceCode, Verified: p.Verified()}
}

func (e eventProducers) ActingFor(ctx context.Context, userID, producerID string) (events.Producer, error) {
	if producerID != "" {
		role, err := e.svc.MemberRole(ctx, producerID, userID)
		if err != nil && !ocop.IsCode(err, ocop.CodeNotFound) {
			return events.Producer{}, err
		}
		if role == "" {
			return events.Producer{}, ocop.NotFound("producer")
		}
		p, err := e.svc.Producer(ctx, producerID)
		if err != nil {
			return events.Producer{}, err
		}
		return toEventProducer(p), nil
	}
	list, _, err := e.repo.ForUser(ctx, userID)
	if err != nil {
		return events.Producer{}, err
	}
	switch len(list) {
	case 0:
		return events.Producer{}, ocop.Errorf(ocop.CodeForbidden, "create your producer profile first (POST /api/v1/producers); booths are booked for a producer")
	case 1:
		return toEventProducer(&list[0]), nil
	}
	return events.Producer{}, ocop.FieldInvalid("producer_id", "you act for %d producers; say which one books", len(list))
}

func (e eventProducers) IDsFor(ctx context.Context, userID string) ([]string, error) {
	list, _, err := e.repo.ForUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i := range list {
		ids[i] = list[i].ID
	}
	return ids, nil
}

func (e eventProducers) Names(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		p, err := e.svc.Producer(ctx, id)
		if ocop.IsCode(err, ocop.CodeNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = p.LegalName
	}
	return out, nil
}

func (e eventProducers) CertificatesInForce(ctx context.Context, producerID string, at time.Time) ([]events.Certificate, error) {
	certs, err := e.svc.CertificatesInForce(ctx, producerID, at)
	if err != nil {
		return nil, err
	}
	out := make([]events.Certificate, 0, len(certs))
	for _, c := range certs {
		out = append(out, events.Certificate{ID: c.ID, Stars: c.Stars, ProductGroup: c.CurrentGroup})
	}
	return out, nil
}
