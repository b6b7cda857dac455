package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Notice kinds sent through the outbox (topic NotificationTopic).
const (
	NoticeBookingReceived  = "booking_received"
	NoticeBookingConfirmed = "booking_confirmed"
	NoticeBookingRejected  = "booking_rejected"
	NoticeBookingCancelled = "booking_cancelled"
	NoticeHoldExpiring     = "hold_expiring"
	NoticeHoldExpired      = "hold_expired"
	NoticeWaitlistOffer    = "waitlist_offer"
	NoticeOfferLapsed      = "waitlist_offer_lapsed"
	NoticeEventCancelled   = "event_cancelled"
)

// NotificationTopic is the outbox topic of booking notifications.
const NotificationTopic = "events.notification"

// Notice is the outbox payload; the handler reads the booking's current
// state by its ID, so a late message never reports a stale status.
type Notice struct {
	Kind      string `json:"kind"`
	BookingID string `json:"booking_id"`
	EventID   string `json:"event_id"`
	// ActorID is the user whose request caused the notice ("" for the
	// sweep): they are not told what they just did.
	ActorID string `json:"actor_id,omitempty"`
}

func (s *Service) notify(ctx context.Context, kind, bookingID, eventID string) error {
	n := Notice{Kind: kind, BookingID: bookingID, EventID: eventID}
	if p, ok := ocop.PrincipalFrom(ctx); ok {
		n.ActorID = p.UserID
	}
	payload, _ := json.Marshal(n)
	return s.Outbox.Enqueue(ctx, ocop.OutboxMessage{Topic: NotificationTopic, Key: bookingID, Payload: payload})
}

// qualify checks the event's eligibility rules for a producer at t and
// returns the evidence, or a not_eligible error naming the failed rule.
func (s *Service) qualify(ctx context.Context, e *ocop.Event, p Producer, at time.Time) (ocop.Qualification, error) {
	q := ocop.Qualification{Province: p.ProvinceCode}
	el := e.Eligibility
	deny := func(field, format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		return &ocop.Error{Code: ocop.CodeNotEligible, Message: msg, Fields: []ocop.FieldError{{Field: field, Message: msg}}}
	}
	if !p.Verified {
		return q, deny("producer", "only producers verified by an admin can book booths; %s is not verified yet", p.Name)
	}
	if len(el.ProducerProvinces) > 0 && !slices.Contains(el.ProducerProvinces, p.ProvinceCode) {
		return q, deny("eligibility.producer_provinces", "this fair is open to producers from provinces %s; %s is registered in %s",
			strings.Join(el.ProducerProvinces, ", "), p.Name, p.ProvinceCode)
	}
	if el.MinStars == 0 && len(el.ProductGroups) == 0 {
		return q, nil
	}
	certs, err := s.Producers.CertificatesInForce(ctx, p.ID, at)
	if err != nil {
		return q, err
	}
	if len(certs) == 0 {
		return q, deny("eligibility.min_stars", "this fair requires a verified OCOP certificate in force with at least %s; %s has none in force (expired, revoked and unverified certificates do not count)",
			ocop.FormatStars(max(el.MinStars, 3)), p.Name)
	}
	var best *Certificate
	for i := range certs {
		c := &certs[i]
		if len(el.ProductGroups) > 0 && !slices.Contains(el.ProductGroups, c.ProductGroup) {
			continue
		}
		if best == nil || c.Stars > best.Stars {
			best = c
		}
	}
	if best == nil {
		return q, deny("eligibility.product_groups", "this fair is for the product groups %s; none of %s's certificates in force is in them",
			strings.Join(el.ProductGroups, ", "), p.Name)
	}
	if best.Stars < el.MinStars {
		return q, deny("eligibility.min_stars", "this fair requires at least %s; the best certificate in force of %s has %s",
			ocop.FormatStars(el.MinStars), p.Name, ocop.FormatStars(best.Stars))
	}
	q.CertificateID, q.Stars, q.ProductGroup = best.ID, best.Stars, best.ProductGroup
	return q, nil
}

// BookInput asks for a booth, or for any free booth of a zone.
type BookInput struct {
	EventID    string
	BoothID    string
	Zone       string
	ProducerID string
	Subsidised bool
	Note       string
}

// errRetry marks a lost race on a slot (or, for zone requests, on a booth):
// the transaction is rolled back and run again against the new state.
type errRetry struct{ cause error }

func (e errRetry) Error() string { return "retry: " + e.cause.Error() }

// Book places a pending hold on a booth for the caller's producer.
func (s *Service) Book(ctx context.Context, in BookInput) (*ocop.Booking, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var v ocop.Validation
	in.Zone, in.BoothID, in.Note = strings.TrimSpace(in.Zone), strings.TrimSpace(in.BoothID), strings.TrimSpace(in.Note)
	v.Check((in.BoothID == "") != (in.Zone == ""), "booth_id", "give either booth_id or zone (any free booth of the zone)")
	v.Check(len([]rune(in.Note)) <= 1000, "note", "must be at most 1000 characters")
	if err := v.Err(); err != nil {
		return nil, err
	}
	e, err := s.Events.Get(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	if !visible(ctx, e) {
		return nil, ocop.NotFound("event")
	}
	now := s.Now()
	if !e.BookingOpen(now) {
		return nil, ocop.Errorf(ocop.CodeBookingClosed, "%s", windowMessage(e, now))
	}
	if in.Subsidised && e.SubsidisedQuota == 0 {
		return nil, ocop.FieldInvalid("subsidised", "this fair offers no subsidised booths")
	}
	prod, err := s.Producers.ActingFor(ctx, p.UserID, in.ProducerID)
	if err != nil {
		return nil, err
	}
	qual, err := s.qualify(ctx, e, prod, now)
	if err != nil {
		return nil, err
	}
	var b *ocop.Booking
	for attempt := 0; ; attempt++ {
		err = s.Tx.InTx(ctx, func(ctx context.Context) error {
			b, err = s.book(ctx, p, prod, qual, in, now)
			return err
		})
		var retry errRetry
		if !asRetry(err, &retry) {
			return b, err
		}
		if attempt >= 30 {
			return nil, &ocop.Error{Code: ocop.CodeUnavailable, Message: "too many producers are booking at this moment; try again", RetryAfter: time.Second, Err: retry.cause}
		}
	}
}

func asRetry(err error, r *errRetry) bool { return errors.As(err, r) }

func (s *Service) book(ctx context.Context, p ocop.Principal, prod Producer, qual ocop.Qualification, in BookInput, now time.Time) (*ocop.Booking, error) {
	// Re-read the event inside the transaction: the booking row must carry
	// the cap and quota in force (a foreign key checks them).
	e, err := s.Events.Get(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	var booth *ocop.Booth
	if in.BoothID != "" {
		if booth, err = s.Booths.Get(ctx, in.BoothID); err != nil || booth.EventID != e.ID {
			return nil, ocop.NotFound("booth")
		}
	} else {
		states, err := s.Booths.States(ctx, e.ID, in.Zone)
		if err != nil {
			return nil, err
		}
		if len(states) == 0 {
			return nil, ocop.FieldInvalid("zone", "the event has no zone %q", in.Zone)
		}
		var free []*ocop.Booth
		for _, st := range states {
			if st.Status == "" {
				free = append(free, st.Booth)
			}
		}
		if len(free) == 0 {
			return nil, ocop.Errorf(ocop.CodeZoneFull, "every booth of zone %s is taken; join its waitlist (POST /api/v1/events/%s/waitlist)", in.Zone, e.ID)
		}
		// A random free booth spreads concurrent requests over the zone
		// instead of having them all collide on the first one.
		booth = free[rand.IntN(len(free))]
	}
	slot, err := s.freeSlot(ctx, e, prod.ID)
	if err != nil {
		return nil, err
	}
	b := &ocop.Booking{
		ID: newID(), EventID: e.ID, BoothID: booth.ID, BoothCode: booth.Code, Zone: booth.Zone, ProducerID: prod.ID, UserID: p.UserID,
		Status: ocop.BookingPending, PriceVND: booth.PriceVND, ProducerSlot: slot, Qualification: qual, Note: in.Note,
		CreatedAt: now, UpdatedAt: now,
	}
	expires := now.Add(s.Settings.HoldTTL)
	b.HoldExpiresAt = &expires
	if in.Subsidised {
		used, err := s.Bookings.UsedSubsidySlots(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		ss := lowestFree(used, e.SubsidisedQuota)
		if ss == 0 {
			return nil, ocop.Errorf(ocop.CodeSubsidyExhausted, "all %d subsidised booths of this fair are taken; book at the regular price", e.SubsidisedQuota)
		}
		b.Subsidised, b.SubsidySlot, b.PriceVND = true, ss, e.SubsidisedPriceVND
	}
	if err := s.Bookings.Create(ctx, b, e.MaxBoothsPerProducer, e.SubsidisedQuota); err != nil {
		return nil, s.bookingConflict(err, e, in.Zone != "", now)
	}
	if err := s.notify(ctx, NoticeBookingReceived, b.ID, e.ID); err != nil {
		return nil, err
	}
	return b, s.Audit.Record(ctx, ocop.AuditEntry{ActorID: p.UserID, Action: "booking.requested", ObjectType: "booking", ObjectID: b.ID,
		After: map[string]any{"booth": booth.Code, "producer_id": prod.ID, "price_vnd": b.PriceVND}})
}

// freeSlot returns the producer's lowest free slot, or booking_limit_reached.
func (s *Service) freeSlot(ctx context.Context, e *ocop.Event, producerID string) (int, error) {
	used, err := s.Bookings.UsedSlots(ctx, e.ID, producerID)
	if err != nil {
		return 0, err
	}
	slot := lowestFree(used, e.MaxBoothsPerProducer)
	if slot == 0 {
		return 0, ocop.Errorf(ocop.CodeBookingLimit, "a producer may hold at most %d booth(s) at this fair, and yours already does", e.MaxBoothsPerProducer)
	}
	return slot, nil
}

func lowestFree(used []int, limit int) int {
	for n := 1; n <= limit; n++ {
		if !slices.Contains(used, n) {
			return n
		}
	}
	return 0
}

// bookingConflict maps what the database refused to the rule's own code.
func (s *Service) bookingConflict(err error, e *ocop.Event, anyBooth bool, now time.Time) error {
	cv, ok := ocop.AsConstraint(err)
	if !ok {
		return err
	}
	switch cv.Name {
	case "bookings_one_active_per_booth":
		if anyBooth {
			return errRetry{err}
		}
		return &ocop.Error{Code: ocop.CodeBoothTaken, Message: "this booth has just been taken by another producer; choose another booth or join the zone's waitlist", Err: err}
	case "bookings_producer_slot", "bookings_subsidy_slot", "bookings_event_cap_fk", "bookings_subsidy_quota_fk":
		return errRetry{err} // another request took the slot, or the cap changed: look again
	case "bookings_slot_within_cap":
		return &ocop.Error{Code: ocop.CodeBookingLimit, Message: fmt.Sprintf("a producer may hold at most %d booth(s) at this fair", e.MaxBoothsPerProducer), Err: err}
	case "bookings_event_not_open", "bookings_outside_window":
		return &ocop.Error{Code: ocop.CodeBookingClosed, Message: windowMessage(e, now), Err: err}
	case "bookings_below_min_stars", "bookings_group_not_allowed", "bookings_province_not_allowed":
		return &ocop.Error{Code: ocop.CodeNotEligible, Message: "the producer does not meet the fair's eligibility rules (" + cv.Name + ")", Err: err}
	}
	if cv.Kind == "foreign_key" && cv.Name == "" {
		return errRetry{err} // SQLite does not name foreign keys; the cap may have changed
	}
	return err
}

// bookingFor loads a booking with its event and says whether the caller
// organises the event or acts for the booking's producer; anyone else gets
// not found.
func (s *Service) bookingFor(ctx context.Context, id string) (*ocop.Booking, *ocop.Event, bool, bool, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, nil, false, false, err
	}
	b, err := s.Bookings.Get(ctx, id)
	if err != nil {
		return nil, nil, false, false, err
	}
	e, err := s.Events.Get(ctx, b.EventID)
	if err != nil {
		return nil, nil, false, false, err
	}
	organiser := canManage(p, true, e)
	owner := false
	if !organiser {
		ids, err := s.Producers.IDsFor(ctx, p.UserID)
		if err != nil {
			return nil, nil, false, false, err
		}
		owner = slices.Contains(ids, b.ProducerID)
	}
	if !organiser && !owner {
		return nil, nil, false, false, ocop.NotFound("booking")
	}
	return b, e, organiser, owner, nil
}

// GetBooking returns a booking to its producer or its organiser.
func (s *Service) GetBooking(ctx context.Context, id string) (*ocop.Booking, error) {
	b, _, _, _, err := s.bookingFor(ctx, id)
	return b, err
}

func invalidState(b *ocop.Booking, action string) error {
	return ocop.Errorf(ocop.CodeInvalidTransition, "a booking that is %s cannot be %s", b.Status, action)
}

// Confirm turns a pending hold into a confirmed booking (organiser).
func (s *Service) Confirm(ctx context.Context, id string) (*ocop.Booking, error) {
	return s.act(ctx, id, func(ctx context.Context, b *ocop.Booking, e *ocop.Event, organiser, _ bool, now time.Time) error {
		if !organiser {
			return ocop.Errorf(ocop.CodeForbidden, "only the event's organiser confirms bookings")
		}
		if b.Status != ocop.BookingPending {
			return invalidState(b, "confirmed")
		}
		if b.HoldExpiresAt != nil && !now.Before(*b.HoldExpiresAt) {
			return ocop.Errorf(ocop.CodeInvalidTransition, "the hold lapsed at %s; the producer must book again", localTime(e, *b.HoldExpiresAt))
		}
		return s.move(ctx, b, ocop.BookingTransition{From: []ocop.BookingStatus{ocop.BookingPending}, To: ocop.BookingConfirmed, At: now}, NoticeBookingConfirmed)
	})
}

// Reject refuses a pending hold (organiser); the booth is offered on.
func (s *Service) Reject(ctx context.Context, id, reason string) (*ocop.Booking, error) {
	return s.act(ctx, id, func(ctx context.Context, b *ocop.Booking, e *ocop.Event, organiser, _ bool, now time.Time) error {
		if !organiser {
			return ocop.Errorf(ocop.CodeForbidden, "only the event's organiser rejects bookings")
		}
		if b.Status != ocop.BookingPending {
			return invalidState(b, "rejected")
		}
		if err := s.move(ctx, b, ocop.BookingTransition{From: []ocop.BookingStatus{ocop.BookingPending}, To: ocop.BookingRejected, At: now, Reason: reason}, NoticeBookingRejected); err != nil {
			return err
		}
		return s.offerNext(ctx, e, b.BoothID, now)
	})
}

// Cancel ends a booking: the organiser at any time before the fair is over,
// the producer before the fair starts. Cancelling a waitlist offer declines
// it. The booth is offered to the zone's waitlist; a producer left without
// a confirmed booth loses the fair's meetings not yet begun (Exhibition).
func (s *Service) Cancel(ctx context.Context, id, reason string) (*ocop.Booking, error) {
	return s.act(ctx, id, func(ctx context.Context, b *ocop.Booking, e *ocop.Event, organiser, _ bool, now time.Time) error {
		if !b.Status.HoldsBooth() {
			return invalidState(b, "cancelled")
		}
		if !organiser && !now.Before(e.StartsAt) {
			return ocop.Errorf(ocop.CodeInvalidTransition, "the fair started at %s; ask the organiser to cancel", localTime(e, e.StartsAt))
		}
		if e.Status == ocop.EventCompleted {
			return ocop.Errorf(ocop.CodeInvalidTransition, "the fair is over")
		}
		to, notice := ocop.BookingCancelled, NoticeBookingCancelled
		if b.Status == ocop.BookingOffered {
			to, notice = ocop.BookingDeclined, NoticeOfferLapsed
			if b.WaitlistEntryID != "" {
				if _, err := s.Waitlist.SetStatus(ctx, b.WaitlistEntryID, []ocop.WaitlistStatus{ocop.WaitlistOffered}, ocop.WaitlistLeft, "", now); err != nil {
					return err
				}
			}
		}
		if err := s.move(ctx, b, ocop.BookingTransition{From: []ocop.BookingStatus{b.Status}, To: to, At: now, Reason: reason}, notice); err != nil {
			return err
		}
		if b.Status == ocop.BookingConfirmed && s.Exhibition != nil {
			// Its meetings go with the booth (unless another one remains).
			if err := s.Exhibition.BoothWithdrawn(ctx, e, b.ProducerID, now); err != nil {
				return err
			}
		}
		return s.offerNext(ctx, e, b.BoothID, now)
	})
}

// Accept takes up a waitlist offer: it becomes a pending hold like any
// booking (and counts towards the producer's cap).
func (s *Service) Accept(ctx context.Context, id string) (*ocop.Booking, error) {
	for attempt := 0; ; attempt++ {
		b, err := s.act(ctx, id, func(ctx context.Context, b *ocop.Booking, e *ocop.Event, _, owner bool, now time.Time) error {
			if !owner {
				return ocop.NotFound("booking")
			}
			if b.Status != ocop.BookingOffered {
				return invalidState(b, "accepted")
			}
			if !now.Before(*b.HoldExpiresAt) {
				return ocop.Errorf(ocop.CodeInvalidTransition, "the offer lapsed at %s", localTime(e, *b.HoldExpiresAt))
			}
			if !e.BookingOpen(now) {
				return ocop.Errorf(ocop.CodeBookingClosed, "%s", windowMessage(e, now))
			}
			slot, err := s.freeSlot(ctx, e, b.ProducerID)
			if err != nil {
				return err
			}
			expires := now.Add(s.Settings.HoldTTL)
			err = s.move(ctx, b, ocop.BookingTransition{From: []ocop.BookingStatus{ocop.BookingOffered}, To: ocop.BookingPending, At: now,
				ProducerSlot: slot, HoldExpiresAt: &expires}, NoticeBookingReceived)
			if err != nil {
				return s.bookingConflict(err, e, false, now)
			}
			if b.WaitlistEntryID != "" {
				_, err = s.Waitlist.SetStatus(ctx, b.WaitlistEntryID, []ocop.WaitlistStatus{ocop.WaitlistOffered}, ocop.WaitlistBooked, "", now)
			}
			return err
		})
		var retry errRetry
		if !asRetry(err, &retry) || attempt >= 10 {
			return b, err
		}
	}
}

type actFunc func(ctx context.Context, b *ocop.Booking, e *ocop.Event, organiser, owner bool, now time.Time) error

func (s *Service) act(ctx context.Context, id string, fn actFunc) (*ocop.Booking, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var out *ocop.Booking
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		b, e, organiser, owner, err := s.bookingFor(ctx, id)
		if err != nil {
			return err
		}
		before := b.Status
		if err := fn(ctx, b, e, organiser, owner, s.Now()); err != nil {
			return err
		}
		if out, err = s.Bookings.Get(ctx, id); err != nil {
			return err
		}
		return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: p.UserID, Action: "booking." + string(out.Status), ObjectType: "booking", ObjectID: id,
			Before: map[string]any{"status": before}, After: map[string]any{"status": out.Status}})
	})
	return out, err
}

// move applies a transition that must succeed (the booking was read in the
// same transaction) and queues the notice.
func (s *Service) move(ctx context.Context, b *ocop.Booking, t ocop.BookingTransition, notice string) error {
	ok, err := s.Bookings.Transition(ctx, b.ID, t)
	if err != nil {
		return err
	}
	if !ok {
		// Changed between our read and write (PostgreSQL, READ COMMITTED).
		return ocop.Errorf(ocop.CodeConflict, "the booking changed meanwhile; reload it and try again")
	}
	return s.notify(ctx, notice, b.ID, b.EventID)
}

// offerNext offers a freed booth to the first producer waiting for its zone.
// The offer is a booking in status offered: it holds the booth (the same
// unique index as any booking), so nobody can grab it in between.
func (s *Service) offerNext(ctx context.Context, e *ocop.Event, boothID string, now time.Time) error {
	if !e.BookingOpen(now) {
		return nil
	}
	booth, err := s.Booths.Get(ctx, boothID)
	if err != nil {
		return err
	}
	waiting, err := s.Waitlist.Waiting(ctx, e.ID, booth.Zone, 1)
	if err != nil || len(waiting) == 0 {
		return err
	}
	w := waiting[0]
	respondBy := now.Add(s.Settings.OfferTTL)
	if respondBy.After(e.BookingClosesAt) {
		respondBy = e.BookingClosesAt
	}
	b := &ocop.Booking{
		ID: newID(), EventID: e.ID, BoothID: booth.ID, BoothCode: booth.Code, Zone: booth.Zone, ProducerID: w.ProducerID, UserID: w.UserID,
		Status: ocop.BookingOffered, PriceVND: booth.PriceVND, Qualification: w.Qualification, WaitlistEntryID: w.ID,
		HoldExpiresAt: &respondBy, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.Bookings.Create(ctx, b, e.MaxBoothsPerProducer, e.SubsidisedQuota); err != nil {
		return err
	}
	if _, err := s.Waitlist.SetStatus(ctx, w.ID, []ocop.WaitlistStatus{ocop.WaitlistWaiting}, ocop.WaitlistOffered, b.ID, now); err != nil {
		return err
	}
	return s.notify(ctx, NoticeWaitlistOffer, b.ID, e.ID)
}

// JoinWaitlist queues the caller's producer for a full zone.
func (s *Service) JoinWaitlist(ctx context.Context, eventID, zone, producerID string) (*ocop.WaitlistEntry, int, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, 0, err
	}
	zone = strings.TrimSpace(zone)
	if zone == "" {
		return nil, 0, ocop.FieldInvalid("zone", "is required")
	}
	e, err := s.Events.Get(ctx, eventID)
	if err != nil {
		return nil, 0, err
	}
	if !visible(ctx, e) {
		return nil, 0, ocop.NotFound("event")
	}
	now := s.Now()
	if !e.BookingOpen(now) {
		return nil, 0, ocop.Errorf(ocop.CodeBookingClosed, "%s", windowMessage(e, now))
	}
	prod, err := s.Producers.ActingFor(ctx, p.UserID, producerID)
	if err != nil {
		return nil, 0, err
	}
	qual, err := s.qualify(ctx, e, prod, now)
	if err != nil {
		return nil, 0, err
	}
	w := &ocop.WaitlistEntry{ID: newID(), EventID: e.ID, Zone: zone, ProducerID: prod.ID, UserID: p.UserID, Status: ocop.WaitlistWaiting,
		Qualification: qual, CreatedAt: now, UpdatedAt: now}
	var pos int
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		states, err := s.Booths.States(ctx, e.ID, zone)
		if err != nil {
			return err
		}
		if len(states) == 0 {
			return ocop.FieldInvalid("zone", "the event has no zone %q", zone)
		}
		for _, st := range states {
			if st.Status == "" {
				return ocop.Errorf(ocop.CodeConflict, "zone %s still has free booths (e.g. %s); book one instead", zone, st.Booth.Code)
			}
		}
		if err := s.Waitlist.Create(ctx, w); err != nil {
			if cv, ok := ocop.AsConstraint(err); ok && cv.Kind == "unique" {
				return &ocop.Error{Code: ocop.CodeConflict, Message: "the producer is already on this zone's waitlist", Err: err}
			}
			return err
		}
		if pos, err = s.Waitlist.Position(ctx, w); err != nil {
			return err
		}
		return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: p.UserID, Action: "waitlist.joined", ObjectType: "waitlist_entry", ObjectID: w.ID,
			After: map[string]any{"event_id": e.ID, "zone": zone, "producer_id": prod.ID}})
	})
	if err != nil {
		return nil, 0, err
	}
	return w, pos + 1, nil
}

// ListWaitlist returns an event's waitlist in queue order (organiser).
func (s *Service) ListWaitlist(ctx context.Context, eventID string) ([]*ocop.WaitlistEntry, error) {
	if _, err := s.managed(ctx, eventID); err != nil {
		return nil, err
	}
	return s.Waitlist.List(ctx, eventID)
}

// SweepResult counts what one sweep did.
type SweepResult struct {
	Expired, Warned int
	Completed       int64
}

// Sweep expires lapsed holds and offers (offering each freed booth to the
// next waiting producer), warns about holds about to lapse, and marks
// ended fairs completed. Each lapse is its own short transaction.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	now := s.Now()
	for {
		lapsed, err := s.Bookings.Lapsed(ctx, now, 100)
		if err != nil {
			return res, err
		}
		for _, b := range lapsed {
			err := s.Tx.InTx(ctx, func(ctx context.Context) error {
				e, err := s.Events.Get(ctx, b.EventID)
				if err != nil {
					return err
				}
				notice := NoticeHoldExpired
				if b.Status == ocop.BookingOffered {
					notice = NoticeOfferLapsed
				}
				ok, err := s.Bookings.Transition(ctx, b.ID, ocop.BookingTransition{From: []ocop.BookingStatus{b.Status}, To: ocop.BookingExpired, At: now, Reason: "the time to answer ran out"})
				if err != nil || !ok {
					return err // confirmed or cancelled meanwhile
				}
				if b.WaitlistEntryID != "" && b.Status == ocop.BookingOffered {
					if _, err := s.Waitlist.SetStatus(ctx, b.WaitlistEntryID, []ocop.WaitlistStatus{ocop.WaitlistOffered}, ocop.WaitlistLapsed, "", now); err != nil {
						return err
					}
				}
				if err := s.notify(ctx, notice, b.ID, b.EventID); err != nil {
					return err
				}
				res.Expired++
				return s.offerNext(ctx, e, b.BoothID, now)
			})
			if err != nil {
				return res, err
			}
		}
		if len(lapsed) < 100 {
			break
		}
	}
	if s.Settings.HoldWarning > 0 {
		err := s.Tx.InTx(ctx, func(ctx context.Context) error {
			warn, err := s.Bookings.ClaimExpiryWarnings(ctx, now.Add(s.Settings.HoldWarning), now, 500)
			if err != nil {
				return err
			}
			for _, b := range warn {
				if err := s.notify(ctx, NoticeHoldExpiring, b.ID, b.EventID); err != nil {
					return err
				}
			}
			res.Warned = len(warn)
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	n, err := s.Events.CompleteEnded(ctx, now)
	res.Completed = n
	return res, err
}
